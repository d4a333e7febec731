import type { RecordedEvent } from './event-store.js';

/**
 * The store's global change feed (DESIGN section 2): every event in commit order, by a position the store assigns at
 * append. Positions only grow; the memory store's are gap-free, SQLite's are its AUTOINCREMENT rowids. Position 0 is
 * "before everything". DynamoDB has no global order and does not implement this port (it has DynamoDB Streams).
 */
export interface ChangeFeed {
  /** Events with `position > after`, in position order, at most `limit` (a positive integer) of them. */
  readAfter(after: number, limit: number): Promise<ReadonlyArray<RecordedEvent>>;
  /**
   * Resolves (never rejects) as soon as an event with a position greater than `after` exists, or when `signal` aborts,
   * or when `timeoutMs` passes, whichever comes first. Callers re-check with `readAfter`. Only appends made through the
   * same store object wake a waiter early; another process's appends are seen when the timeout passes.
   */
  waitForAppend(after: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** The position of the last committed event, 0 when the store is empty. */
  head(): Promise<number>;
}
