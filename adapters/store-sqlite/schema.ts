import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Opening the events database: connection settings and schema migrations (tracked in `PRAGMA user_version`).
 * Migrations are append-only: never edit one that has shipped, add the next.
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE events (
     position INTEGER PRIMARY KEY AUTOINCREMENT,
     stream_id TEXT NOT NULL,
     version INTEGER NOT NULL CHECK (version >= 1),
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     metadata TEXT NOT NULL,
     UNIQUE (stream_id, version)
   );
   -- listStreams reads first events only, like DynamoDB's sparse index on version = 1.
   CREATE INDEX events_first_by_stream ON events (stream_id) WHERE version = 1;
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
   CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;`,
];

export interface OpenOptions {
  readonly busyTimeoutMs: number;
}

const migrate = (db: Database.Database): void => {
  const applied = db.pragma('user_version', { simple: true }) as number;
  if (applied > MIGRATIONS.length) {
    throw new Error(`events database schema version ${String(applied)} is newer than this program knows`);
  }
  MIGRATIONS.slice(applied).forEach((sql, i) => {
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${String(applied + i + 1)}`);
    }).immediate();
  });
};

/**
 * WAL with `synchronous = FULL`: every commit is fsynced before `append` acknowledges it (DESIGN sections 4.5 and 7).
 * Group commit, not a weaker setting, is what makes appends fast. Never weaken this.
 */
export const openEventsDatabase = (path: string, options: OpenOptions): Database.Database => {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${String(options.busyTimeoutMs)}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (mode !== 'wal' && path !== ':memory:') throw new Error(`${path}: could not switch to WAL (got ${mode})`);
    db.pragma('synchronous = FULL');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
};
