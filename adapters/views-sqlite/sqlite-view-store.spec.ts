import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredView } from '../../projections/view-store.js';
import { describeViewStoreContract } from '../../test/contracts/view-store.contract.js';
import { openSqliteViewStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-views-sqlite-'));
let files = 0;
const freshPath = (): string => join(dir, `views-${String(++files)}.db`);
const job = (id: string, version: number, body: unknown = { version }): StoredView => ({
  kind: 'job',
  id,
  version,
  active: true,
  body,
});

describe('[sqlite] SQLite view store', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describeViewStoreContract('view store contract, own file', async () => {
    const views = await openSqliteViewStore(freshPath());
    return { views, cleanup: () => views.close() };
  });

  describeViewStoreContract('view store contract, on a connection handed in', async () => {
    const db = new Database(freshPath());
    const views = await openSqliteViewStore(db);
    return {
      views,
      cleanup: async () => {
        await views.close();
        db.close();
      },
    };
  });

  it('runs WAL with synchronous=FULL, also on a connection handed in', async () => {
    const own = await openSqliteViewStore(freshPath());
    expect(own.durability()).toEqual({ journalMode: 'wal', synchronous: 'FULL' });
    await own.close();
    const db = new Database(freshPath());
    db.pragma('synchronous = OFF');
    const lent = await openSqliteViewStore(db);
    expect(lent.durability()).toEqual({ journalMode: 'wal', synchronous: 'FULL' });
    await lent.close();
    expect(db.open).toBe(true);
    db.close();
  });

  it('keeps views across close and reopen, and refuses use after close', async () => {
    const path = freshPath();
    const first = await openSqliteViewStore(path);
    await first.put([{ view: job('1', 2, { text: 'žluť 🐎' }), expectedVersion: 0 }]);
    await first.close();
    await first.close();
    await expect(first.get('job', ['1'])).rejects.toThrow(/closed/);
    const again = await openSqliteViewStore(path);
    expect(await again.get('job', ['1'])).toEqual([job('1', 2, { text: 'žluť 🐎' })]);
    await again.close();
  });

  it('shares a file with other tables without touching user_version (the event store migrates with it)', async () => {
    const path = freshPath();
    const db = new Database(path);
    db.pragma('user_version = 7');
    db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY)');
    const views = await openSqliteViewStore(db);
    await views.put([{ view: job('1', 1), expectedVersion: 0 }]);
    await views.close();
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    db.close();
    const reopened = await openSqliteViewStore(path);
    expect(await reopened.get('job', ['1'])).toEqual([job('1', 1)]);
    await reopened.close();
  });

  it('refuses a views schema newer than it knows', async () => {
    const path = freshPath();
    await (await openSqliteViewStore(path)).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO views_migrations (version) VALUES (99)').run();
    raw.close();
    await expect(openSqliteViewStore(path)).rejects.toThrow(/newer/);
  });

  it('writes a whole put in one transaction: a write that throws rolls all of them back', async () => {
    const path = freshPath();
    const views = await openSqliteViewStore(path);
    const raw = new Database(path);
    const changes = (): number => Number(raw.prepare('PRAGMA data_version').pluck().get());
    const before = changes();
    expect(
      await views.put([
        { view: job('a', 1), expectedVersion: 0 },
        { view: job('b', 1), expectedVersion: 3 },
        { view: job('c', 1), expectedVersion: 0 },
      ]),
    ).toEqual([{ kind: 'ViewConflict', viewKind: 'job', id: 'b', expectedVersion: 3 }]);
    // data_version moves once per commit made by another connection.
    expect(changes() - before).toBe(1);
    await expect(
      views.put([
        { view: job('d', 1), expectedVersion: 0 },
        { view: job('e', 1.5), expectedVersion: 0 },
      ]),
    ).rejects.toThrow();
    await expect(views.put([{ view: job('f', 1, { big: 1n }), expectedVersion: 0 }])).rejects.toThrow(TypeError);
    expect((await views.get('job', ['a', 'b', 'c', 'd', 'e', 'f'])).map((v) => v.id).sort()).toEqual(['a', 'c']);
    expect(changes() - before).toBe(1);
    raw.close();
    await views.close();
  });

  it('keeps an undefined body undefined, and stores bodies as JSON text (never as numbers)', async () => {
    const path = freshPath();
    const views = await openSqliteViewStore(path);
    const { body: _, ...bodiless } = job('u', 1);
    await views.put([
      { view: { ...bodiless, body: undefined }, expectedVersion: 0 },
      { view: job('n', 1, 2 ** 64), expectedVersion: 0 },
      { view: job('s', 1, '12345678901234567890'), expectedVersion: 0 },
    ]);
    const byId = Object.fromEntries((await views.get('job', ['u', 'n', 's'])).map((v) => [v.id, v.body]));
    expect(byId).toEqual({ u: undefined, n: 2 ** 64, s: '12345678901234567890' });
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare("SELECT DISTINCT typeof(body) FROM views WHERE id IN ('n', 's')").pluck().all()).toEqual([
      'text',
    ]);
    raw.close();
    await views.close();
  });

  it('reads by key and lists active views through the partial index', async () => {
    const path = freshPath();
    await (await openSqliteViewStore(path)).close();
    const raw = new Database(path, { readonly: true });
    const plan = (sql: string): string =>
      (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join(' ');
    expect(plan("SELECT body FROM views WHERE kind = 'job' AND id > '' AND active = 1 ORDER BY id LIMIT 5")).toContain(
      'views_active',
    );
    expect(
      plan(`SELECT body FROM views WHERE kind = 'job' AND id IN (SELECT value FROM json_each('["a","b"]'))`),
    ).toMatch(/USING (INDEX sqlite_autoindex_views_1|PRIMARY KEY)/);
    raw.close();
  });
});
