import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The `views` table and its migrations. The table may share a file (and a connection) with the event store, so its
 * schema version lives in its own table, `views_migrations`, never in `PRAGMA user_version` (the event store's).
 * Migrations are append-only: never edit one that has shipped, add the next.
 *
 * STRICT, and `body` declared TEXT: a column declared `JSON` would get NUMERIC affinity, which silently turns a body
 * such as `"12345678901234567890"` (JSON text of a number) into a lossy REAL. NULL in `body` is an undefined body.
 */
const MIGRATIONS: ReadonlyArray<string> = [
  `CREATE TABLE views (
     kind TEXT NOT NULL,
     id TEXT NOT NULL,
     version INTEGER NOT NULL CHECK (version >= 0),
     active INTEGER NOT NULL CHECK (active IN (0, 1)),
     body TEXT,
     PRIMARY KEY (kind, id)
   ) STRICT;
   -- list(kind, { activeOnly }) walks the active views only, like DynamoDB's sparse index.
   CREATE INDEX views_active ON views (kind, id) WHERE active = 1;`,
];

export const migrateViews = (db: Database.Database): void => {
  db.exec('CREATE TABLE IF NOT EXISTS views_migrations (version INTEGER PRIMARY KEY) STRICT');
  const applied = (db.prepare('SELECT MAX(version) FROM views_migrations').pluck().get() as number | null) ?? 0;
  if (applied > MIGRATIONS.length) {
    throw new Error(`views schema version ${String(applied)} is newer than this program knows`);
  }
  MIGRATIONS.slice(applied).forEach((sql, i) => {
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO views_migrations (version) VALUES (?)').run(applied + i + 1);
    }).immediate();
  });
};

/**
 * WAL with `synchronous = FULL`: a `put` is fsynced before it resolves. Applied to a connection the caller hands in
 * too (idempotent on the event store's connection, which runs the same settings).
 */
export const configureConnection = (db: Database.Database, busyTimeoutMs: number): void => {
  db.pragma(`busy_timeout = ${String(busyTimeoutMs)}`);
  const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
  if (mode !== 'wal' && !db.memory) {
    throw new Error(`${db.name}: could not switch to WAL (got ${mode})`);
  }
  db.pragma('synchronous = FULL');
};

export const openViewsDatabase = (path: string, busyTimeoutMs: number): Database.Database => {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    configureConnection(db, busyTimeoutMs);
    migrateViews(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
};
