import type Database from 'better-sqlite3';
import { assertReadAfterArguments } from '../../domain/store/index.js';
import type { ChangeFeed } from '../../domain/store/index.js';
import type { AppendNotifier } from '../shared/append-notifier.js';
import { EVENT_COLUMNS, toRecordedEvent } from './event-rows.js';
import type { EventRow } from './event-rows.js';

/**
 * The global change feed: AUTOINCREMENT positions, which are commit order because one connection writes and every
 * write transaction is BEGIN IMMEDIATE. Waiters are woken in-process after each commit; another process appending
 * to the same file is noticed when a waiter's timeout passes.
 */
export interface SqliteFeed extends ChangeFeed {
  headNow(): number;
}

export const createSqliteFeed = (db: Database.Database, notifier: AppendNotifier): SqliteFeed => {
  const readAfterStmt = db.prepare<[number, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  );
  const headStmt = db.prepare<[], number>('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
  const headNow = (): number => headStmt.get() ?? 0;

  return {
    headNow,
    head: () => new Promise((resolve) => resolve(headNow())),
    readAfter: (after, limit) =>
      new Promise((resolve) => {
        assertReadAfterArguments(after, limit);
        resolve(readAfterStmt.all(after, limit).map(toRecordedEvent));
      }),
    waitForAppend: (after, timeoutMs, signal) =>
      new Promise((resolve) => resolve(notifier.wait(after, db.open ? headNow() : Infinity, timeoutMs, signal))),
  };
};
