import type Database from 'better-sqlite3';
import type { CheckpointStore, ReplayMarker } from '../../domain/store/index.js';

const REPLAY_ONLY = 'replay_only';

/** Consumer checkpoints and the replay-only mark, in the `checkpoints` and `meta` tables. Each write is durable. */
export const createSqliteMeta = (db: Database.Database): CheckpointStore & ReplayMarker => {
  const getStmt = db.prepare<[string], number>('SELECT position FROM checkpoints WHERE name = ?').pluck();
  const saveStmt = db.prepare<[string, number]>(
    'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  );
  const getMetaStmt = db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck();
  const setMetaStmt = db.prepare<[string, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );

  return {
    getCheckpoint: (name) => new Promise((resolve) => resolve(getStmt.get(name))),
    saveCheckpoint: (name, position) =>
      new Promise((resolve) => {
        if (!Number.isSafeInteger(position) || position < 0) {
          throw new RangeError(`saveCheckpoint: position ${String(position)} is not a non-negative integer`);
        }
        saveStmt.run(name, position);
        resolve();
      }),
    markReplayOnly: () =>
      new Promise((resolve) => {
        setMetaStmt.run(REPLAY_ONLY, 'true');
        resolve();
      }),
    isReplayOnly: () => new Promise((resolve) => resolve(getMetaStmt.get(REPLAY_ONLY) === 'true')),
  };
};
