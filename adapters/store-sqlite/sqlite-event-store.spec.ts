import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../domain/store/index.js';
import { describeChangeFeedContract } from '../../test/contracts/change-feed.contract.js';
import { describeEventStoreContract } from '../../test/contracts/event-store.contract.js';
import { openSqliteEventStore } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-sqlite-'));
let files = 0;
const freshPath = (): string => join(dir, `events-${String(++files)}.db`);
const ev = (type: string, data: unknown = {}): NewEvent => ({
  type,
  data,
  metadata: { at: '2024-05-01T10:00:00.000Z' },
});
const make = async () => {
  const store = await openSqliteEventStore(freshPath());
  return { store, cleanup: () => store.close() };
};

describe('[sqlite] SQLite event store', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describeEventStoreContract('event store contract', make);
  describeChangeFeedContract('change feed contract', make);

  it('runs WAL with synchronous=FULL', async () => {
    const store = await openSqliteEventStore(freshPath());
    expect(store.durability()).toEqual({ journalMode: 'wal', synchronous: 'FULL' });
    await store.close();
  });

  it('keeps events, positions, checkpoints and the replay-only mark across close and reopen', async () => {
    const path = freshPath();
    const first = await openSqliteEventStore(path);
    await first.append('job#1', [ev('A'), ev('B')], 0);
    await first.saveCheckpoint('projector', 2);
    await first.markReplayOnly();
    await first.close();
    const again = await openSqliteEventStore(path);
    expect((await again.read('job#1')).map((e) => [e.version, e.type, e.position])).toEqual([
      [1, 'A', 1],
      [2, 'B', 2],
    ]);
    expect(await again.append('job#1', [ev('C')], 2)).toEqual(E.right({ streamId: 'job#1', version: 3 }));
    expect(await again.head()).toBe(3);
    expect(await again.getCheckpoint('projector')).toBe(2);
    expect(await again.getCheckpoint('other')).toBeUndefined();
    expect(await again.isReplayOnly()).toBe(true);
    await again.close();
  });

  it('acknowledges an append only once it is committed: a killed writer loses no acknowledged event', async () => {
    const path = freshPath();
    const fixture = join(import.meta.dirname, 'fixtures', 'append-until-killed.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', () => resolve());
      child.stdout.on('data', (chunk: Buffer) => {
        for (const match of chunk.toString().matchAll(/acked (\d+)/g)) acked = Math.max(acked, Number(match[1]));
        if (acked >= 30) child.kill('SIGKILL');
      });
    });
    const store = await openSqliteEventStore(path);
    const versions = (await store.read('job#crash')).map((e) => e.version);
    expect(acked).toBeGreaterThanOrEqual(30);
    expect(versions.length).toBeGreaterThanOrEqual(acked);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
    await store.close();
  }, 30_000);

  it('refuses a database written by a newer schema', async () => {
    const path = freshPath();
    await (await openSqliteEventStore(path)).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    await expect(openSqliteEventStore(path)).rejects.toThrow(/newer/);
  });

  describe('group commit', () => {
    it('commits 50 appends made in one tick in fewer transactions than appends', async () => {
      const store = await openSqliteEventStore(freshPath());
      const before = store.groupCommitStats();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.append(`job#g${String(i)}`, [ev('A')], 0)),
      );
      const after = store.groupCommitStats();
      expect(results.every(E.isRight)).toBe(true);
      expect(after.items - before.items).toBe(50);
      expect(after.flushes - before.flushes).toBe(1);
      await store.close();
    });

    it('checks each append of a batch on its own: a conflict, a bad value or a failing insert fail only their caller', async () => {
      const store = await openSqliteEventStore(freshPath());
      const flushes = store.groupCommitStats().flushes;
      const winner = store.append('job#s1', [ev('A1'), ev('A2')], 0);
      const loser = store.append('job#s1', [ev('B')], 0);
      const stacked = store.append('job#s1', [ev('C')], 2);
      const neighbour = store.append('job#s2', [ev('N')], 0);
      const failure = (p: Promise<unknown>): Promise<unknown> =>
        p.then(
          () => 'resolved',
          (error: unknown) => error,
        );
      const unserialisable = failure(store.append('job#s3', [ev('X', { big: 1n })], 0));
      const brokenInsert = failure(
        store.append('job#s4', [ev('ok'), { ...ev('bad'), type: null as unknown as string }], 0),
      );
      expect(await winner).toEqual(E.right({ streamId: 'job#s1', version: 2 }));
      expect(await loser).toEqual(E.left({ kind: 'VersionConflict', streamId: 'job#s1', expectedVersion: 0 }));
      expect(await stacked).toEqual(E.right({ streamId: 'job#s1', version: 3 }));
      expect(await neighbour).toEqual(E.right({ streamId: 'job#s2', version: 1 }));
      expect(await unserialisable).toBeInstanceOf(TypeError);
      expect(String(await brokenInsert)).toMatch(/NOT NULL/);
      expect(store.groupCommitStats().flushes - flushes).toBe(1);
      expect((await store.read('job#s1')).map((e) => e.type)).toEqual(['A1', 'A2', 'C']);
      expect(await store.read('job#s4')).toEqual([]);
      expect((await store.readAfter(0, 100)).map((e) => [e.streamId, e.position])).toEqual([
        ['job#s1', 1],
        ['job#s1', 2],
        ['job#s1', 3],
        ['job#s2', 4],
      ]);
      await store.close();
    });

    it('commits pending appends on close, then refuses new ones', async () => {
      const path = freshPath();
      const store = await openSqliteEventStore(path);
      const pending = store.append('job#late', [ev('A')], 0);
      await store.close();
      expect(await pending).toEqual(E.right({ streamId: 'job#late', version: 1 }));
      await expect(store.append('job#late', [ev('B')], 1)).rejects.toThrow(/closed/);
      const again = await openSqliteEventStore(path);
      expect((await again.read('job#late')).map((e) => e.type)).toEqual(['A']);
      await again.close();
    });
  });

  describe('listStreams', () => {
    it('lists by exact category prefix, over several pages, through the partial index', async () => {
      const path = freshPath();
      const store = await openSqliteEventStore(path);
      const jobs = Array.from({ length: 1203 }, (_, i) => `job#${String(i).padStart(5, '0')}`);
      await Promise.all([...jobs, 'jobs#1', 'job2#1', 'jo#1', 'machine#1'].map((id) => store.append(id, [ev('A')], 0)));
      await store.append('job#00007', [ev('B')], 1);
      const listed: string[] = [];
      for await (const id of store.listStreams('job')) listed.push(id);
      expect(listed).toEqual(jobs);
      const raw = new Database(path, { readonly: true });
      const plan = raw
        .prepare(
          "EXPLAIN QUERY PLAN SELECT stream_id FROM events WHERE version = 1 AND stream_id >= 'a' AND stream_id < 'b'",
        )
        .all() as Array<{ detail: string }>;
      raw.close();
      expect(plan.map((row) => row.detail).join(' ')).toContain('events_first_by_stream');
      await store.close();
    });
  });

  describe('two connections on one file', () => {
    it('still detects conflicts, and a waiter sees the other writer after its timeout', async () => {
      const path = freshPath();
      const a = await openSqliteEventStore(path);
      const b = await openSqliteEventStore(path);
      expect(E.isRight(await a.append('pool#p', [ev('A')], 0))).toBe(true);
      expect(await b.append('pool#p', [ev('B')], 0)).toEqual(
        E.left({ kind: 'VersionConflict', streamId: 'pool#p', expectedVersion: 0 }),
      );
      const head = await a.head();
      const waited = a.waitForAppend(head, 100);
      expect(E.isRight(await b.append('pool#p', [ev('B')], 1))).toBe(true);
      await waited;
      expect((await a.readAfter(head, 10)).map((e) => e.type)).toEqual(['B']);
      await Promise.all([a.close(), b.close()]);
    });
  });
});
