import type { Database } from 'better-sqlite3';

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/** The durability settings in force on a SQLite connection (expected here: `wal`, `FULL`), for tests and benchmarks. */
export const sqliteDurability = (db: Database): { readonly journalMode: string; readonly synchronous: string } => ({
  journalMode: String(db.pragma('journal_mode', { simple: true })),
  synchronous: SYNCHRONOUS[Number(db.pragma('synchronous', { simple: true }))] ?? 'unknown',
});
