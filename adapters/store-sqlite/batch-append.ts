import Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import type { Appended, VersionConflict } from '../../domain/store/index.js';
import type { Outcome } from './group-commit.js';

/** An append waiting for its batch, already serialised (a value JSON cannot carry failed its own caller only). */
export interface PendingAppend {
  readonly streamId: string;
  readonly expectedVersion: number;
  readonly events: ReadonlyArray<{ readonly type: string; readonly data: string; readonly metadata: string }>;
}

export type AppendResult = E.Either<VersionConflict, Appended>;

const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Database.SqliteError &&
  (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');

/**
 * Builds the function that writes one group-commit batch in ONE `BEGIN IMMEDIATE` transaction. Each append is
 * checked on its own against the stream's current version as the transaction sees it (so two appends of one batch to
 * one stream conflict like two transactions would) and runs in its own SAVEPOINT: a conflict or an error rolls back
 * that append alone and its neighbours still commit.
 */
export const createBatchAppend = (
  db: Database.Database,
): ((items: ReadonlyArray<PendingAppend>) => ReadonlyArray<Outcome<AppendResult>>) => {
  const versionStmt = db
    .prepare<[string], number>('SELECT version FROM events WHERE stream_id = ? ORDER BY version DESC LIMIT 1')
    .pluck();
  const insertStmt = db.prepare<[string, number, string, string, string]>(
    'INSERT INTO events (stream_id, version, type, data, metadata) VALUES (?, ?, ?, ?, ?)',
  );

  const conflict = (a: PendingAppend): AppendResult =>
    E.left({ kind: 'VersionConflict', streamId: a.streamId, expectedVersion: a.expectedVersion });

  // Called inside the batch transaction, a better-sqlite3 transaction function runs as a SAVEPOINT.
  const appendInSavepoint = db.transaction((a: PendingAppend): AppendResult => {
    if ((versionStmt.get(a.streamId) ?? 0) !== a.expectedVersion) return conflict(a);
    a.events.forEach((e, i) => insertStmt.run(a.streamId, a.expectedVersion + i + 1, e.type, e.data, e.metadata));
    return E.right({ streamId: a.streamId, version: a.expectedVersion + a.events.length });
  });

  const appendOne = (a: PendingAppend): Outcome<AppendResult> => {
    try {
      return { ok: true, value: appendInSavepoint(a) };
    } catch (error) {
      // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then the whole batch fails.
      if (!db.inTransaction) throw error;
      return isUniqueViolation(error) ? { ok: true, value: conflict(a) } : { ok: false, error };
    }
  };

  const batch = db.transaction((items: ReadonlyArray<PendingAppend>) => items.map(appendOne));
  return (items) => batch.immediate(items);
};
