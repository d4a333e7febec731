import type Database from 'better-sqlite3';
import { sqliteDurability } from '../shared/sqlite-durability.js';
import type { StoredView, ViewConflict, ViewKind, ViewStore } from '../../projections/view-store.js';
import { configureConnection, migrateViews, openViewsDatabase } from './schema.js';

export interface SqliteViewStoreOptions {
  /** How long a write waits for another connection's lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

/** The embedded view store: the `views` table in its own file or beside the events in `events.db`. */
export interface SqliteViewStore extends ViewStore {
  /** The settings in force on the connection (expected: `wal`, `FULL`). */
  durability(): { readonly journalMode: string; readonly synchronous: string };
  /** Closes the file when the store opened it; leaves a connection the caller handed in open. Idempotent. */
  close(): Promise<void>;
}

interface ViewRow {
  readonly kind: string;
  readonly id: string;
  readonly version: number;
  readonly active: number;
  readonly body: string | null;
}

const COLUMNS = 'kind, id, version, active, body';
const LIST_PAGE = 500;

const toStoredView = (row: ViewRow): StoredView => ({
  kind: row.kind as ViewKind,
  id: row.id,
  version: row.version,
  active: row.active === 1,
  body: row.body === null ? undefined : (JSON.parse(row.body) as unknown),
});

/**
 * Opens the SQLite view store on a file (`<data-dir>/views.db`, or `:memory:`) or on an open connection (for example
 * the event store's, so both live in `events.db`). Either way the connection runs WAL with `synchronous = FULL`.
 *
 * Every write is conditional on the stored version (0 when absent): `UPDATE … WHERE version = ?`, and at expected
 * version 0 an `INSERT … ON CONFLICT DO NOTHING` when nothing was updated. All writes of one `put` run in ONE
 * `BEGIN IMMEDIATE` transaction (one fsync), in order; a write whose condition fails changes nothing and is reported,
 * the others commit. An error (a body JSON cannot carry, a bad version) rejects the whole `put` and writes nothing.
 */
export const openSqliteViewStore = (
  target: string | Database.Database,
  options: SqliteViewStoreOptions = {},
): Promise<SqliteViewStore> => new Promise((resolve) => resolve(open(target, options)));

const open = (target: string | Database.Database, options: SqliteViewStoreOptions): SqliteViewStore => {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  const owned = typeof target === 'string';
  const db = owned ? openViewsDatabase(target, busyTimeoutMs) : target;
  if (!owned) {
    configureConnection(db, busyTimeoutMs);
    migrateViews(db);
  }
  const getStmt = db.prepare<[string, string], ViewRow>(
    `SELECT ${COLUMNS} FROM views WHERE kind = ? AND id IN (SELECT value FROM json_each(?))`,
  );
  // Keyset pages: the first from `id >= ''` (so an empty id is listed too), the next ones after the last id seen.
  const listPage = (from: '>=' | '>', activeOnly: boolean) =>
    db.prepare<[string, string, number], ViewRow>(
      `SELECT ${COLUMNS} FROM views WHERE kind = ? AND id ${from} ?${activeOnly ? ' AND active = 1' : ''} ` +
        'ORDER BY id LIMIT ?',
    );
  const listStmts = {
    all: { first: listPage('>=', false), next: listPage('>', false) },
    active: { first: listPage('>=', true), next: listPage('>', true) },
  };
  const updateStmt = db.prepare<[number, number, string | null, string, string, number]>(
    'UPDATE views SET version = ?, active = ?, body = ? WHERE kind = ? AND id = ? AND version = ?',
  );
  const insertStmt = db.prepare<[string, string, number, number, string | null]>(
    `INSERT INTO views (${COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING`,
  );

  type Row = readonly [kind: string, id: string, version: number, active: number, body: string | null];
  const writeAll = db.transaction((rows: ReadonlyArray<{ readonly row: Row; readonly expected: number }>) =>
    rows.map(({ row: [kind, id, version, active, body], expected }) => {
      if (updateStmt.run(version, active, body, kind, id, expected).changes === 1) return true;

      return expected === 0 && insertStmt.run(kind, id, version, active, body).changes === 1;
    }),
  );
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new Error(`${db.name}: the view store is closed`);
  };

  return {
    get: (kind, ids) =>
      new Promise((resolve) => {
        assertOpen();
        resolve(ids.length === 0 ? [] : getStmt.all(kind, JSON.stringify(ids)).map(toStoredView));
      }),
    put: (writes) =>
      new Promise((resolve) => {
        assertOpen();
        if (writes.length === 0) return resolve([]);
        // Serialised before the transaction: a body JSON cannot carry (a BigInt, a cycle) throws here, writing nothing.
        const rows = writes.map(({ view, expectedVersion }) => ({
          row: [view.kind, view.id, view.version, view.active ? 1 : 0, JSON.stringify(view.body) ?? null] as const,
          expected: expectedVersion,
        }));
        const applied = writeAll.immediate(rows);
        resolve(
          writes.flatMap(({ view, expectedVersion }, i): ViewConflict[] =>
            applied[i] ? [] : [{ kind: 'ViewConflict', viewKind: view.kind, id: view.id, expectedVersion }],
          ),
        );
      }),
    list: async function* (kind, listOptions = {}) {
      const stmts = listOptions.activeOnly === true ? listStmts.active : listStmts.all;
      // Pages, not one iterator: better-sqlite3 cannot run other statements while an iterator is open, and the caller
      // may write between two views it is given.
      for (let after: string | null = null; ;) {
        assertOpen();
        const page: ViewRow[] =
          after === null ? stmts.first.all(kind, '', LIST_PAGE) : stmts.next.all(kind, after, LIST_PAGE);
        yield* page.map(toStoredView);
        const last = page.at(-1);
        if (page.length < LIST_PAGE || last === undefined) return;
        after = last.id;
      }
    },
    durability: () => sqliteDurability(db),
    close: () =>
      new Promise((resolve) => {
        if (!closed) {
          closed = true;
          if (owned) db.close();
        }
        resolve();
      }),
  };
};
