import type { Database } from 'better-sqlite3';

/**
 * Retention for the embedded store: deletes a finished stream that has been exported, but only if it still ends at
 * the version that was exported (a stream that grew since is kept). One transaction; true when rows were deleted.
 */
export const createStreamExpirer = (db: Database) => {
  const last = db.prepare<[string], { last: number | null }>(
    'SELECT MAX(version) AS last FROM events WHERE stream_id = ?',
  );
  const remove = db.prepare<[string]>('DELETE FROM events WHERE stream_id = ?');

  return db.transaction((streamId: string, throughVersion: number): boolean => {
    if (last.get(streamId)?.last !== throughVersion) return false;

    return remove.run(streamId).changes > 0;
  });
};
