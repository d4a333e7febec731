import { assertAppendArguments } from '../../domain/store/index.js';
import { sqliteDurability } from '../shared/sqlite-durability.js';
import type { ChangeFeed, CheckpointStore, EventStore, ReplayMarker } from '../../domain/store/index.js';
import { createAppendNotifier } from '../shared/append-notifier.js';
import { createBatchAppend } from './batch-append.js';
import type { AppendResult, PendingAppend } from './batch-append.js';
import { EVENT_COLUMNS, toJsonText, toRecordedEvent } from './event-rows.js';
import type { EventRow } from './event-rows.js';
import { createGroupCommitQueue } from './group-commit.js';
import type { GroupCommitStats } from './group-commit.js';
import { openEventsDatabase } from './schema.js';
import { createSqliteFeed } from './sqlite-feed.js';
import { createSqliteMeta } from './sqlite-meta.js';
import { createStreamExpirer } from './expire-stream.js';

export interface SqliteEventStoreOptions {
  /** Most appends one group-commit transaction carries (default 1000). */
  readonly maxBatchAppends?: number;
  /** How long a write waits for another connection's lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

/** The embedded store (`<data-dir>/events.db`): one process writes it, through this object only. */
export interface SqliteEventStore extends EventStore, ChangeFeed, CheckpointStore, ReplayMarker {
  readonly path: string;
  /** Group-commit counters, for tests and benchmarks. */
  groupCommitStats(): GroupCommitStats;
  /** The settings in force on the connection (expected: `wal`, `FULL`). */
  durability(): { readonly journalMode: string; readonly synchronous: string };
  /** Retention: deletes an exported stream if it still ends at `throughVersion`; false when it was kept. */
  expireStream(streamId: string, throughVersion: number): Promise<boolean>;
  /** Commits pending appends, wakes feed waiters, closes the file. Idempotent. */
  close(): Promise<void>;
}

const LIST_PAGE = 500;

export const openSqliteEventStore = (path: string, options: SqliteEventStoreOptions = {}): Promise<SqliteEventStore> =>
  new Promise((resolve) => resolve(open(path, options)));

const open = (path: string, options: SqliteEventStoreOptions): SqliteEventStore => {
  const db = openEventsDatabase(path, { busyTimeoutMs: options.busyTimeoutMs ?? 5_000 });
  const notifier = createAppendNotifier();
  const feed = createSqliteFeed(db, notifier);
  const batchAppend = createBatchAppend(db);
  const queue = createGroupCommitQueue<PendingAppend, AppendResult>((items) => {
    const outcomes = batchAppend(items);
    notifier.notify(feed.headNow());
    return outcomes;
  }, options.maxBatchAppends ?? 1_000);
  const readStmt = db.prepare<[string, number], EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND version >= ? ORDER BY version`,
  );
  // Binary collation: every id with the prefix `<category>#` sorts in [`<category>#`, `<category>$`).
  const listStmt = db
    .prepare<[string, string, string, number], string>(
      'SELECT stream_id FROM events WHERE version = 1 AND stream_id >= ? AND stream_id < ? AND stream_id > ? ' +
        'ORDER BY stream_id LIMIT ?',
    )
    .pluck();
  const expire = createStreamExpirer(db);
  let closed = false;

  return {
    path,
    ...feed,
    ...createSqliteMeta(db),
    append: (streamId, events, expectedVersion) =>
      new Promise<AppendResult>((resolve) => {
        if (closed) throw new Error(`${path}: the event store is closed`);
        assertAppendArguments(streamId, events, expectedVersion);
        const serialised = events.map((e) => ({
          type: e.type,
          data: toJsonText(e.data),
          metadata: toJsonText(e.metadata),
        }));
        resolve(queue.submit({ streamId, expectedVersion, events: serialised }));
      }),
    read: (streamId, readOptions) =>
      new Promise((resolve) => resolve(readStmt.all(streamId, readOptions?.fromVersion ?? 1).map(toRecordedEvent))),
    listStreams: async function* (category) {
      // Keyset pages: better-sqlite3 cannot run other statements while an iterator is open.
      for (let after = ''; ;) {
        const page = listStmt.all(`${category}#`, `${category}$`, after, LIST_PAGE);
        yield* page;
        if (page.length < LIST_PAGE) return;
        after = page.at(-1) ?? after;
      }
    },
    expireStream: (streamId, throughVersion) =>
      new Promise((resolve) => {
        queue.drain();
        resolve(expire(streamId, throughVersion));
      }),
    groupCommitStats: () => queue.stats(),
    durability: () => sqliteDurability(db),
    close: () =>
      new Promise((resolve) => {
        if (!closed) {
          closed = true;
          queue.drain();
          notifier.wakeAll();
          db.close();
        }
        resolve();
      }),
  };
};
