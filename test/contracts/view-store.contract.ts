import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredView, ViewConflict, ViewKind, ViewStore, ViewWrite } from '../../projections/view-store.js';
import { collect, eventually, range, runId } from './contract-helpers.js';

/**
 * The one view-store contract (DESIGN section 2, the read-model port in projections/view-store.ts) every adapter
 * passes unchanged. `make` is called once per suite; every test uses ids unique to the run, so a shared table works.
 *
 * What it pins down:
 * - a write applies when the stored version (0 when absent) equals `expectedVersion`, and then replaces the whole view;
 *   otherwise it is a `ViewConflict` and writes nothing;
 * - each write of a `put` stands alone, the writes apply in order (so a later write to the same view sees the earlier
 *   one), and the conflicts come back in the order of the writes;
 * - `get` returns the stored views among the ids (of that kind only), in any order, however many ids;
 * - `list(kind)` returns every view of the kind once, never another kind, across pages; `activeOnly` may lag writes
 *   (DynamoDB reads it from an eventually consistent index), so those checks wait for it;
 * - bodies are JSON values and come back equal. Bodies outside what every store can hold are not tested here:
 *   DynamoDB (bodies are maps) refuses empty or `__proto__` keys, more than 32 nesting levels, numbers beyond
 *   Number.MAX_SAFE_INTEGER or below 1e-130 in magnitude, and items over 400 KB.
 */
export const describeViewStoreContract = (
  title: string,
  make: () => Promise<{ views: ViewStore; cleanup(): Promise<void> }>,
): void => {
  describe(title, () => {
    let views: ViewStore;
    let cleanup: (() => Promise<void>) | undefined;
    const run = runId();
    const vid = (name: string): string => `${run}-${name}`;
    const view = (kind: ViewKind, id: string, version: number, body: unknown = { v: version }): StoredView => ({
      kind,
      id,
      version,
      active: true,
      body,
    });
    const activity = (stored: StoredView, active: boolean): StoredView => ({ ...stored, active });
    const write = (v: StoredView, expectedVersion: number): ViewWrite => ({ view: v, expectedVersion });
    const conflict = (kind: ViewKind, id: string, expectedVersion: number): ViewConflict => ({
      kind: 'ViewConflict',
      viewKind: kind,
      id,
      expectedVersion,
    });
    const getOne = async (kind: ViewKind, id: string): Promise<StoredView | undefined> => {
      const found = await views.get(kind, [id]);
      expect(found.length).toBeLessThanOrEqual(1);

      return found[0];
    };
    const byId = (a: StoredView, b: StoredView): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    /** The views of `kind` this suite wrote under `prefix` (other tests, runs and suites may share the store). */
    const listed = async (kind: ViewKind, prefix: string, activeOnly?: boolean): Promise<StoredView[]> => {
      const all = await collect(views.list(kind, activeOnly === undefined ? undefined : { activeOnly }));
      expect(all.filter((v) => v.kind !== kind)).toEqual([]);

      return all.filter((v) => v.id.startsWith(prefix)).sort(byId);
    };

    beforeAll(async () => {
      ({ views, cleanup } = await make());
    }, 120_000);
    afterAll(async () => {
      await cleanup?.();
    }, 60_000);

    describe('put', () => {
      it('creates a view at expected version 0', async () => {
        const id = vid('create');
        const created = view('job', id, 1, { status: 'queued' });
        expect(await views.put([write(created, 0)])).toEqual([]);
        expect(await getOne('job', id)).toEqual(created);
      });

      it('replaces the whole view at the stored version', async () => {
        const id = vid('replace');
        await views.put([write(view('machine', id, 3, { a: 1, gone: 'soon' }), 0)]);
        const replaced = activity(view('machine', id, 5, { a: 2 }), false);
        expect(await views.put([write(replaced, 3)])).toEqual([]);
        expect(await getOne('machine', id)).toEqual(replaced);
      });

      it('a stale, a future or a "must not exist" expected version is a ViewConflict and writes nothing', async () => {
        const id = vid('conflict');
        const stored = view('pool', id, 4, { keep: true });
        await views.put([write(stored, 0)]);
        for (const expectedVersion of [0, 1, 3, 5, 9]) {
          const late = activity(view('pool', id, expectedVersion + 1, { keep: false }), false);
          expect(await views.put([write(late, expectedVersion)])).toEqual([conflict('pool', id, expectedVersion)]);
        }
        expect(await getOne('pool', id)).toEqual(stored);
        const missing = vid('conflict-missing');
        expect(await views.put([write(view('pool', missing, 2), 1)])).toEqual([conflict('pool', missing, 1)]);
        expect(await getOne('pool', missing)).toBeUndefined();
      });

      it('checks each write of a batch on its own: conflicts come back in order, the other writes apply', async () => {
        const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((n) => vid(`batch-${n}`)) as [
          string,
          string,
          string,
          string,
          string,
        ];
        await views.put([write(view('job', b, 2), 0), write(view('job', c, 1), 0), write(view('machine', e, 1), 0)]);
        const conflicts = await views.put([
          write(view('job', a, 1), 0), // new: applies
          write(view('job', b, 3), 1), // stale: conflict
          write(view('job', c, 2), 1), // current: applies
          write(view('job', d, 5), 4), // missing: conflict
          write(view('machine', e, 2), 1), // another kind, current: applies
          write(view('job', e, 1), 1), // same id, kind where it is missing: conflict
        ]);
        expect(conflicts).toEqual([conflict('job', b, 1), conflict('job', d, 4), conflict('job', e, 1)]);
        expect((await views.get('job', [a, b, c, d, e])).map((v) => [v.id, v.version]).sort()).toEqual([
          [a, 1],
          [b, 2],
          [c, 2],
        ]);
        expect(await getOne('machine', e)).toEqual(view('machine', e, 2));
      });

      it('applies the writes of a batch in order: a later write to the same view sees the earlier ones', async () => {
        const id = vid('in-order');
        expect(
          await views.put([
            write(view('breaker', id, 1, ['a']), 0),
            write(view('breaker', id, 2, ['a', 'b']), 1),
            write(view('breaker', id, 3, ['x']), 1),
            write(view('breaker', id, 3, ['a', 'b', 'c']), 2),
          ]),
        ).toEqual([conflict('breaker', id, 1)]);
        expect(await getOne('breaker', id)).toEqual(view('breaker', id, 3, ['a', 'b', 'c']));
        expect(await views.put([])).toEqual([]);
      });
    });

    describe('get', () => {
      it('returns only the stored views among the ids, of that kind only', async () => {
        const stored = view('runner-use', vid('get-one'), 1, { jobId: '7' });
        await views.put([write(stored, 0), write(view('job', vid('get-other-kind'), 1), 0)]);
        expect(await views.get('runner-use', [vid('get-none'), stored.id, vid('get-other-kind')])).toEqual([stored]);
        expect(await views.get('runner-use', [])).toEqual([]);
        expect(await views.get('machine', [stored.id])).toEqual([]);
      });

      it('answers for 250 ids at once, in any order', async () => {
        const ids = range(0, 249).map((i) => vid(`many-${String(i).padStart(3, '0')}`));
        const present = ids.filter((_, i) => i % 2 === 0 || i > 200);
        expect(await views.put(present.map((id, i) => write(view('machine', id, i + 1), 0)))).toEqual([]);
        const found = await views.get('machine', [...ids].reverse());
        expect(found.map((v) => v.id).sort()).toEqual([...present].sort());
        expect(found.every((v) => v.version === present.indexOf(v.id) + 1 && v.kind === 'machine')).toBe(true);
      }, 60_000);
    });

    describe('list', () => {
      it('lists one kind only, each view once; activeOnly keeps the active ones', async () => {
        const prefix = vid('list-');
        const ids = range(0, 9).map((i) => `${prefix}${String(i)}`);
        const jobs = ids.map((id, i) => activity(view('job', id, 1, { i }), i % 3 !== 0));
        const machines = ids.slice(0, 4).map((id) => view('machine', id, 2, { same: 'ids' }));
        await views.put([...jobs, ...machines].map((v) => write(v, 0)));
        expect(await listed('job', prefix)).toEqual(jobs);
        expect(await listed('machine', prefix)).toEqual(machines);
        expect(await listed('pool', prefix)).toEqual([]);
        await eventually(async () => {
          expect(await listed('job', prefix, true)).toEqual(jobs.filter((v) => v.active));
          expect(await listed('job', prefix, false)).toEqual(jobs);
        });
        const [first, second] = jobs.filter((v) => v.active) as [StoredView, StoredView];
        const finished = { ...first, version: 2, active: false };
        const revived = view('job', ids[0] ?? '', 2, { back: true });
        expect(await views.put([write(finished, 1), write(revived, 1)])).toEqual([]);
        await eventually(async () => {
          const active = await listed('job', prefix, true);
          expect(active.map((v) => v.id)).not.toContain(first.id);
          expect(active).toContainEqual(second);
          expect(active).toContainEqual(revived);
        });
      });

      it('goes beyond one page: 1,200 small views', async () => {
        const prefix = vid('small-');
        const all = range(0, 1199).map((i) =>
          activity(view('pool', `${prefix}${String(i).padStart(4, '0')}`, 1, { i }), i < 700),
        );
        for (let from = 0; from < all.length; from += 300) {
          expect(await views.put(all.slice(from, from + 300).map((v) => write(v, 0)))).toEqual([]);
        }
        expect(await listed('pool', prefix)).toEqual(all);
        await eventually(async () => expect(await listed('pool', prefix, true)).toEqual(all.slice(0, 700)));
      }, 120_000);

      it('goes beyond one page: 30 views of 64 KB (DynamoDB pages at 1 MB)', async () => {
        const prefix = vid('large-');
        const filler = 'x'.repeat(64 * 1024);
        const all = range(0, 29).map((i) => view('job', `${prefix}${String(i).padStart(2, '0')}`, 1, { i, filler }));
        expect(await views.put(all.map((v) => write(v, 0)))).toEqual([]);
        expect(await listed('job', prefix)).toEqual(all);
        await eventually(async () => expect(await listed('job', prefix, true)).toEqual(all));
      }, 60_000);
    });

    describe('bodies', () => {
      it('round-trip exactly: nested objects, nulls, arrays, booleans, numbers and unicode strings', async () => {
        const bodies: ReadonlyArray<unknown> = [
          {
            status: 'in_progress',
            labels: ['runs-fleet/cpu=4/arch=arm64', 'self-hosted'],
            nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] }, nothing: null, empty: {}, none: [] },
            numbers: [0, -1, 1.5, 0.1 + 0.2, 1e-7, -2.5e-9, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
            flags: [true, false],
            text: ['', ' ', 'žluťoučký kůň 🐎', '日本語', 'a\u0000b', 'tab\tnew\nline', '"quoted" \\ back', '\u200d'],
            'key with spaces': 1,
            'ключ 🔑': 'значение',
            at: '2024-05-01T10:00:00.000Z',
          },
          ['2024-05-01T10:00:00.000Z', '2024-05-01T10:01:00.000Z'],
          [],
          {},
          'just a string',
          42,
          null,
          true,
        ];
        const writes = bodies.map((body, i) => write(view('breaker', vid(`body-${String(i)}`), 1, body), 0));
        expect(await views.put(writes)).toEqual([]);
        const found = await views.get(
          'breaker',
          writes.map((w) => w.view.id),
        );
        expect([...found].sort(byId)).toEqual(writes.map((w) => w.view).sort(byId));
      });

      it('round-trip exactly: any JSON body every store can hold (property)', async () => {
        const key = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__');
        const number = fc.oneof(
          fc.integer(),
          fc.maxSafeInteger(),
          fc.double({ min: -1e15, max: 1e15, noNaN: true }).map((d) => (Math.abs(d) < 1e-100 ? 0 : d)), // also turns -0 (which JSON cannot carry) into 0
        );
        const { json } = fc.letrec((tie) => ({
          json: fc.oneof(
            { depthSize: 'small', withCrossShrink: true },
            fc.constant(null),
            fc.boolean(),
            number,
            fc.string({ unit: 'binary' }),
            fc.array(tie('json'), { maxLength: 5 }),
            fc.dictionary(key, tie('json'), { maxKeys: 5 }),
          ),
        }));
        let n = 0;
        await fc.assert(
          fc.asyncProperty(json, fc.boolean(), async (body, active) => {
            const stored = activity(view('runner-use', vid(`prop-${String(n++)}`), 1, body), active);
            expect(await views.put([write(stored, 0)])).toEqual([]);
            expect(await views.get('runner-use', [stored.id])).toEqual([stored]);
          }),
          // Found by this property: a key named like an Object.prototype member fooled the DynamoDB marshaller.
          {
            numRuns: 60,
            examples: [
              [{ constructor: [] }, false],
              [{ toString: 1, __proto__x: { hasOwnProperty: null } }, true],
            ],
          },
        );
      }, 60_000);
    });

    describe('concurrency', () => {
      it('get → put(expected) → retry loops racing in any interleaving: one winner per version, N writers → N', async () => {
        let runIndex = 0;
        await fc.assert(
          fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 6 }), async (s, n) => {
            const id = vid(`race-${String(runIndex++)}`);
            const read = s.scheduleFunction(async function get() {
              return (await views.get('pool', [id]))[0]?.version ?? 0;
            });
            const put = s.scheduleFunction(function put(expected: number, writer: number) {
              return views.put([
                write(activity(view('pool', id, expected + 1, { writer }), writer % 2 === 0), expected),
              ]);
            });
            const writer = async (who: number): Promise<number> => {
              // Every conflict means another writer won a version, so n attempts always suffice.
              for (let tries = 0; tries < n; tries++) {
                const expected = await read();
                const conflicts = await put(expected, who);
                if (conflicts.length === 0) return expected + 1;
                expect(conflicts).toEqual([conflict('pool', id, expected)]);
              }
              throw new Error(`writer ${String(who)} never won a version`);
            };
            const writers = range(0, n - 1);
            const won = await s.waitFor(Promise.all(writers.map(writer)));
            expect([...won].sort((a, b) => a - b)).toEqual(range(1, n));
            const final = await getOne('pool', id);
            const last = writers.find((who) => won[who] === n);
            expect(final).toEqual(activity(view('pool', id, n, { writer: last }), (last ?? 1) % 2 === 0));
          }),
          { numRuns: 20 },
        );
      }, 120_000);
    });
  });
};
