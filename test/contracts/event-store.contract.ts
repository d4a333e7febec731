import * as fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENTS_PER_APPEND } from '../../domain/store/index.js';
import type { EventMetadata, EventStore } from '../../domain/store/index.js';
import { AT, attempt, collect, currentVersion, eventually, newEvent, range, runId } from './contract-helpers.js';

/**
 * The one event-store contract (DESIGN section 2) every adapter passes unchanged. `make` is called once per suite;
 * every test uses stream ids unique to the run, so a shared table works too. Appends with bad arguments (no events,
 * more than MAX_EVENTS_PER_APPEND, a negative or fractional expectedVersion) reject with a RangeError and write
 * nothing: use `assertAppendArguments` from `domain/store`.
 */
export const describeEventStoreContract = (
  title: string,
  make: () => Promise<{ store: EventStore; cleanup(): Promise<void> }>,
): void => {
  describe(title, () => {
    let store: EventStore;
    let cleanup: (() => Promise<void>) | undefined;
    const run = runId();
    const sid = (category: string, name: string): string => `${category}#${run}-${name}`;

    beforeAll(async () => {
      ({ store, cleanup } = await make());
    }, 120_000);
    afterAll(async () => {
      await cleanup?.();
    }, 60_000);

    describe('append', () => {
      it('creates a stream at expected version 0 and reads the event back', async () => {
        const streamId = sid('job', 'new');
        const result = await store.append(streamId, [newEvent('JobQueued', { n: 1 })], 0);
        expect(result).toEqual(E.right({ streamId, version: 1 }));
        const events = await store.read(streamId);
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({
          streamId,
          version: 1,
          type: 'JobQueued',
          data: { n: 1 },
          metadata: { at: AT },
        });
      });

      it('appends at the current version and returns the version of the last event written', async () => {
        const streamId = sid('job', 'next');
        await store.append(streamId, [newEvent('A')], 0);
        expect(await store.append(streamId, [newEvent('B'), newEvent('C')], 1)).toEqual(
          E.right({ streamId, version: 3 }),
        );
        expect(await store.append(streamId, [newEvent('D')], 3)).toEqual(E.right({ streamId, version: 4 }));
        const events = await store.read(streamId);
        expect(events.map((e) => [e.version, e.type])).toEqual([
          [1, 'A'],
          [2, 'B'],
          [3, 'C'],
          [4, 'D'],
        ]);
      });

      it('returns a typed VersionConflict for a stale, a future or a "must not exist" version, and writes nothing', async () => {
        const streamId = sid('job', 'conflict');
        await store.append(streamId, [newEvent('A'), newEvent('B')], 0);
        for (const expectedVersion of [0, 1, 3, 7]) {
          const result = await store.append(streamId, [newEvent('Late')], expectedVersion);
          expect(result).toEqual(E.left({ kind: 'VersionConflict', streamId, expectedVersion }));
        }
        expect((await store.read(streamId)).map((e) => e.type)).toEqual(['A', 'B']);
      });

      it('writes all events of an append or none of them', async () => {
        const streamId = sid('job', 'atomic');
        await store.append(streamId, [newEvent('A'), newEvent('B')], 0);
        const conflicting = await store.append(
          streamId,
          range(1, 5).map((i) => newEvent(`X${String(i)}`)),
          1,
        );
        expect(E.isLeft(conflicting)).toBe(true);
        expect(await currentVersion(store, streamId)).toBe(2);
        const other = sid('job', 'atomic-new');
        await store.append(other, [newEvent('First')], 0);
        expect(E.isLeft(await store.append(other, [newEvent('P'), newEvent('Q')], 0))).toBe(true);
        expect((await store.read(other)).map((e) => e.type)).toEqual(['First']);
      });

      it('numbers versions 1..n contiguously across appends of different sizes', async () => {
        const streamId = sid('machine', 'contiguous');
        let version = 0;
        for (const size of [1, 3, 1, 7, 2]) {
          const result = await store.append(
            streamId,
            range(1, size).map(() => newEvent('E')),
            version,
          );
          version += size;
          expect(result).toEqual(E.right({ streamId, version }));
        }
        expect((await store.read(streamId)).map((e) => e.version)).toEqual(range(1, 14));
      });

      it('keeps streams apart: an append to one stream does not move another', async () => {
        const a = sid('pool', 'apart-a');
        const b = sid('pool', 'apart-b');
        await store.append(a, [newEvent('A1'), newEvent('A2')], 0);
        expect(await store.append(b, [newEvent('B1')], 0)).toEqual(E.right({ streamId: b, version: 1 }));
        expect((await store.read(a)).map((e) => e.type)).toEqual(['A1', 'A2']);
        expect((await store.read(b)).map((e) => e.type)).toEqual(['B1']);
      });

      it('accepts MAX_EVENTS_PER_APPEND events in one append', async () => {
        const streamId = sid('job', 'max');
        const events = range(1, MAX_EVENTS_PER_APPEND).map((i) => newEvent('E', { i }));
        expect(await store.append(streamId, events, 0)).toEqual(E.right({ streamId, version: MAX_EVENTS_PER_APPEND }));
        const read = await store.read(streamId);
        expect(read.map((e) => (e.data as { i: number }).i)).toEqual(range(1, MAX_EVENTS_PER_APPEND));
      }, 30_000);

      it('rejects with a RangeError (nothing written) more than MAX_EVENTS_PER_APPEND events, none, or a bad expectedVersion', async () => {
        const streamId = sid('job', 'limits');
        const tooMany = range(1, MAX_EVENTS_PER_APPEND + 1).map(() => newEvent('E'));
        await expect(attempt(() => store.append(streamId, tooMany, 0))).rejects.toThrow(RangeError);
        await expect(attempt(() => store.append(streamId, [], 0))).rejects.toThrow(RangeError);
        await expect(attempt(() => store.append(streamId, [newEvent('E')], -1))).rejects.toThrow(RangeError);
        await expect(attempt(() => store.append(streamId, [newEvent('E')], 0.5))).rejects.toThrow(RangeError);
        expect(await store.read(streamId)).toEqual([]);
      });
    });

    describe('read', () => {
      it('reads from a version on, and nothing for an unknown stream or past the end', async () => {
        const streamId = sid('job', 'from');
        await store.append(
          streamId,
          range(1, 5).map((i) => newEvent('E', { i })),
          0,
        );
        expect((await store.read(streamId, { fromVersion: 3 })).map((e) => e.version)).toEqual([3, 4, 5]);
        expect((await store.read(streamId, { fromVersion: 1 })).map((e) => e.version)).toEqual(range(1, 5));
        expect(await store.read(streamId, { fromVersion: 6 })).toEqual([]);
        expect(await store.read(sid('job', 'never-written'))).toEqual([]);
      });

      it('follows every page: 30 events of ~64 KB (about 2 MB) come back whole and in order', async () => {
        const streamId = sid('job', 'big');
        const blob = (i: number): string => String.fromCharCode(97 + (i % 26)).repeat(64 * 1024 - 100);
        for (const batch of [0, 1, 2]) {
          const events = range(batch * 10 + 1, batch * 10 + 10).map((i) => newEvent('Big', { i, blob: blob(i) }));
          expect(E.isRight(await store.append(streamId, events, batch * 10))).toBe(true);
        }
        const summary = (events: ReadonlyArray<{ version: number; data: unknown }>): unknown[] =>
          events.map((e) => {
            const data = e.data as { i: number; blob: string };
            return [e.version, data.i, data.blob === blob(data.i)];
          });
        expect(summary(await store.read(streamId))).toEqual(range(1, 30).map((i) => [i, i, true]));
        expect(summary(await store.read(streamId, { fromVersion: 12 }))).toEqual(
          range(12, 30).map((i) => [i, i, true]),
        );
      }, 60_000);

      it('round-trips data and metadata exactly', async () => {
        const streamId = sid('machine', 'roundtrip');
        const full: EventMetadata = {
          at: '2024-05-01T10:00:00.123Z',
          causationId: 'cause-1',
          correlationId: 'corr-1',
          deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
          commandId: 'cmd-0123456789abcdef',
        };
        const data = {
          text: 'héllo ✓ "quoted" \\ line\nbreak',
          int: 42,
          negative: -7,
          float: 1.5,
          yes: true,
          no: false,
          nothing: null,
          list: [1, 'two', { three: 3 }, [4]],
          nested: { deep: { deeper: { id: 'x' } } },
        };
        await store.append(streamId, [newEvent('Full', data, full), newEvent('AtOnly', { n: 0 }, { at: AT })], 0);
        const [first, second] = await store.read(streamId);
        expect(first?.data).toStrictEqual(data);
        expect(first?.metadata).toStrictEqual(full);
        expect(second?.metadata).toStrictEqual({ at: AT });
      });

      it('stores copies: mutating what was appended or what was read does not change history', async () => {
        const streamId = sid('job', 'copies');
        const data = { nested: { n: 1 }, list: [1] };
        await store.append(streamId, [newEvent('E', data)], 0);
        data.nested.n = 99;
        data.list.push(2);
        const [first] = await store.read(streamId);
        expect(first?.data).toEqual({ nested: { n: 1 }, list: [1] });
        (first?.data as { nested: { n: number } }).nested.n = 7;
        const [again] = await store.read(streamId);
        expect(again?.data).toEqual({ nested: { n: 1 }, list: [1] });
      });
    });

    describe('listStreams', () => {
      it('lists each stream of a category once (from its first event), never another category', async () => {
        const jobs = ['list-a', 'list-b', 'list-c'].map((n) => sid('job', n));
        const machine = sid('machine', 'list-m');
        const pool = sid('pool', 'list-p');
        for (const streamId of [...jobs, machine, pool]) await store.append(streamId, [newEvent('Started')], 0);
        const busy = jobs[1] ?? '';
        for (const from of [1, 6, 11])
          await store.append(
            busy,
            range(1, 5).map(() => newEvent('More')),
            from,
          );
        await eventually(async () => {
          const listedJobs = await collect(store.listStreams('job'));
          const listedMachines = await collect(store.listStreams('machine'));
          expect(new Set(listedJobs).size).toBe(listedJobs.length);
          expect(listedJobs.filter((id) => jobs.includes(id)).sort()).toEqual([...jobs].sort());
          expect(listedJobs.filter((id) => !id.startsWith('job#'))).toEqual([]);
          expect(listedMachines).toContain(machine);
          expect(listedMachines.filter((id) => !id.startsWith('machine#'))).toEqual([]);
        });
      }, 30_000);
    });

    describe('concurrency', () => {
      it('read → append(expected) → retry loops racing in any interleaving land every appender once, versions 1..N', async () => {
        let runIndex = 0;
        await fc.assert(
          fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 6 }), async (s, n) => {
            const streamId = sid('job', `race-${String(runIndex++)}`);
            const read = s.scheduleFunction(function read() {
              return currentVersion(store, streamId);
            });
            const append = s.scheduleFunction(function append(expected: number, appender: number) {
              return store.append(streamId, [newEvent('Raced', { appender })], expected);
            });
            const appender = async (id: number): Promise<number> => {
              // Every conflict means another appender won a version, so n attempts always suffice.
              for (let tries = 0; tries < n; tries++) {
                const expected = await read();
                const result = await append(expected, id);
                if (E.isRight(result)) return result.right.version;
                expect(result.left).toEqual({ kind: 'VersionConflict', streamId, expectedVersion: expected });
              }
              throw new Error(`appender ${String(id)} never won a version`);
            };
            const ids = range(0, n - 1);
            const won = await s.waitFor(Promise.all(ids.map(appender)));
            const events = await store.read(streamId);
            expect(events.map((e) => e.version)).toEqual(range(1, n));
            const owners = events.map((e) => (e.data as { appender: number }).appender);
            expect([...owners].sort((a, b) => a - b)).toEqual(ids);
            expect(ids.map((id) => owners[(won[id] ?? 0) - 1])).toEqual(ids);
          }),
          { numRuns: 20 },
        );
      }, 120_000);
    });
  });
};
