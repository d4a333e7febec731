import type Database from 'better-sqlite3';
import { deadLetterKey } from '../../domain/store/index.js';
import type { DeadLetterEntry, DeadLetterStore } from '../../domain/store/index.js';

/**
 * Dead letters in the embedded database (`<data-dir>/events.db`), table `dead_letters`, through a connection the
 * composition root opens on that file (WAL lets it sit beside the event store's own connection). The table is created
 * here with `IF NOT EXISTS`, outside the event store's migrations, which never touch it. `key` (see `deadLetterKey`)
 * is UNIQUE and rows are inserted with `OR IGNORE`, so a redelivered poison record is stored once. `raw` is JSON text.
 */
export const DEAD_LETTERS_TABLE = 'dead_letters';

interface DeadLetterRow {
  readonly stream_id: string | null;
  readonly version: number | null;
  readonly reason: string;
  readonly raw: string;
  readonly at: string;
}

const PAGE = 500;

export const createSqliteDeadLetterStore = (db: Database.Database): DeadLetterStore => {
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${DEAD_LETTERS_TABLE} (
       seq INTEGER PRIMARY KEY AUTOINCREMENT,
       key TEXT NOT NULL UNIQUE,
       stream_id TEXT,
       version INTEGER,
       reason TEXT NOT NULL,
       raw TEXT NOT NULL,
       at TEXT NOT NULL
     )`,
  );
  const insert = db.prepare<[string, string | null, number | null, string, string, string]>(
    `INSERT OR IGNORE INTO ${DEAD_LETTERS_TABLE} (key, stream_id, version, reason, raw, at) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  // Keyset pages: better-sqlite3 cannot run other statements on the connection while an iterator is open.
  const page = db.prepare<[number, number], DeadLetterRow & { readonly seq: number }>(
    `SELECT seq, stream_id, version, reason, raw, at FROM ${DEAD_LETTERS_TABLE} WHERE seq > ? ORDER BY seq LIMIT ?`,
  );
  const toEntry = (row: DeadLetterRow): DeadLetterEntry => ({
    streamId: row.stream_id,
    version: row.version,
    reason: row.reason,
    raw: JSON.parse(row.raw) as unknown,
    at: row.at,
  });

  return {
    put: (entry) =>
      new Promise((resolve) => {
        insert.run(
          deadLetterKey(entry),
          entry.streamId,
          entry.version,
          entry.reason,
          JSON.stringify(entry.raw) ?? 'null',
          entry.at,
        );
        resolve();
      }),
    list: async function* () {
      for (let after = 0; ;) {
        const rows = page.all(after, PAGE);
        yield* rows.map(toEntry);
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < PAGE) return;
        after = last.seq;
      }
    },
  };
};
