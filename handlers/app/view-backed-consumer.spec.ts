import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createMemoryViewStore } from '../../adapters/views-memory/index.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { ReadModels } from '../../projections/read-models.js';
import type { ViewKind, ViewStore, ViewWrite } from '../../projections/view-store.js';
import { allEvents, runWorkload, stepArbitrary } from '../../test/world/workload.js';
import type { World } from '../../test/world/world.js';
import { createViewBackedConsumer } from './view-backed-consumer.js';

/**
 * The view-backed consumer folding a page of records at once (`handleBatch`, what `serve` on DynamoDB hands it): the
 * same views as one record at a time and as the in-memory fold, with each view read and written once per page, and
 * nothing lost when a page dies half-written and is delivered again.
 */

const SETTINGS = { defaultBackend: 'ec2' } as const;
const KINDS: ReadonlyArray<ViewKind> = ['job', 'machine', 'pool', 'runner-use', 'breaker', 'pool-claim'];
const runs = { numRuns: 25 };
const history = fc.array(stepArbitrary, { minLength: 1, maxLength: 25 });

const consumerOn = (world: World, views: ViewStore) =>
  createViewBackedConsumer({ store: world.store, views, bus: createInProcessBus({}), settings: SETTINGS });

/** What the store holds, folded back into read models: comparable with the world's own models. */
const reloaded = async (views: ViewStore): Promise<string> => {
  const models = new ReadModels(SETTINGS);
  for (const kind of KINDS) for await (const view of views.list(kind)) models.load([view]);

  return models.snapshot();
};

/** Cuts `items` into consecutive pages of 1 to 12, as GetRecords pages a shard. */
const pagesOf = <T>(items: ReadonlyArray<T>, sizes: ReadonlyArray<number>): T[][] => {
  const pages: T[][] = [];
  for (let at = 0, i = 0; at < items.length; i += 1) {
    const size = sizes[i % sizes.length] ?? 1;
    pages.push(items.slice(at, at + size));
    at += size;
  }

  return pages;
};

/** Counts what reaches the store: `get` calls, and writes per view. */
const counting = (views: ViewStore) => {
  const counts = { gets: 0, writes: new Map<string, number>() };
  const store: ViewStore = {
    get: (kind, ids) => {
      counts.gets += 1;

      return views.get(kind, ids);
    },
    put: (writes) => {
      for (const { view } of writes) {
        const key = `${view.kind}#${view.id}`;
        counts.writes.set(key, (counts.writes.get(key) ?? 0) + 1);
      }

      return views.put(writes);
    },
    list: (kind, options) => views.list(kind, options),
  };

  return { store, counts };
};

/**
 * A store that dies once, at its `failAt`-th `put`, after applying only the writes `keep` picks: a process killed
 * in the middle of writing a page's views.
 */
const dyingOnce = (views: ViewStore, failAt: number, keep: (write: ViewWrite, index: number) => boolean) => {
  let puts = 0;
  const state = { died: false };
  const store: ViewStore = {
    get: (kind, ids) => views.get(kind, ids),
    put: async (writes) => {
      puts += 1;
      if (state.died || puts !== failAt) return views.put(writes);
      state.died = true;
      await views.put(writes.filter(keep));
      throw new Error('killed while writing views');
    },
    list: (kind, options) => views.list(kind, options),
  };

  return { store, state };
};

describe('view-backed consumer, a page at a time', () => {
  it('pages of any size, delivered in shard order, duplicated or not, end where the in-memory fold ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        history,
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        async (steps, sizes, noise) => {
          const world = await runWorkload(steps);
          const iterator = noise[Symbol.iterator]();
          // At-least-once: some records come twice, the copy later (a page re-delivered after a crash).
          const deliveries = (await allEvents(world)).flatMap((e) =>
            (iterator.next().value as number) % 5 === 0 ? [e, e] : [e],
          );
          const views = createMemoryViewStore();
          const consumer = consumerOn(world, views);
          for (const page of pagesOf(deliveries, sizes)) await consumer.handleBatch(page);
          expect(await reloaded(views)).toBe(world.models.snapshot());
        },
      ),
      runs,
    );
  });

  it('re-ordered across streams and within them, pages still end where the in-memory fold ends', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.infiniteStream(fc.nat()), async (steps, noise) => {
        const world = await runWorkload(steps);
        const iterator = noise[Symbol.iterator]();
        const next = () => iterator.next().value as number;
        const deliveries = (await allEvents(world))
          .map((e) => ({ e, key: next() }))
          .sort((a, b) => a.key - b.key)
          .map(({ e }) => e);
        const views = createMemoryViewStore();
        const consumer = consumerOn(world, views);
        for (const page of pagesOf(deliveries, [7, 3, 11])) await consumer.handleBatch(page);
        expect(await reloaded(views)).toBe(world.models.snapshot());
      }),
      runs,
    );
  });

  it('reads each view at most once per page and writes it at most once, whatever the number of records', async () => {
    // Many records of many streams: jobs queued, runners taken, completions, on shared labels.
    const steps = Array.from({ length: 5 }, (_, i) => String(i + 1)).flatMap((job) => [
      { kind: 'queue' as const, job, label: 0 },
      { kind: 'start' as const, job, onMachineOf: job },
      { kind: 'complete' as const, job, conclusion: 'success' },
    ]);
    const world = await runWorkload(steps);
    const events = await allEvents(world);
    const streams = new Set(events.map((e) => e.streamId));
    expect(streams.size).toBeGreaterThan(5);

    const { store, counts } = counting(createMemoryViewStore());
    const outcomes = await consumerOn(world, store).handleBatch(events);
    expect(outcomes).toEqual(events.map(() => 'applied'));
    expect(await reloaded(store)).toBe(world.models.snapshot());
    // One request per kind and round (references followed, then rehearsals), not one or more per record.
    expect(counts.gets).toBeLessThan(events.length / 2);
    expect([...counts.writes.values()].every((n) => n === 1)).toBe(true);

    // One record at a time for comparison: every record reads its views again and writes its own.
    const single = counting(createMemoryViewStore());
    const consumer = consumerOn(world, single.store);
    for (const recorded of events) await consumer.handle(recorded);
    expect(await reloaded(single.store)).toBe(world.models.snapshot());
    expect(single.counts.gets).toBeGreaterThan(events.length);
    expect([...single.counts.writes.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(counts.writes.size);
  });

  it('a page that dies half-written is delivered again (its checkpoint never moved) and loses nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        history,
        fc.integer({ min: 1, max: 12 }),
        fc.nat(),
        fc.infiniteStream(fc.boolean()),
        async (steps, size, death, coins) => {
          const world = await runWorkload(steps);
          const pages = pagesOf(await allEvents(world), [size]);
          const views = createMemoryViewStore();
          const coin = coins[Symbol.iterator]();
          // A page writes its views in one or two `put`s: die in any of them.
          const dying = dyingOnce(views, 1 + (death % (2 * pages.length)), () => coin.next().value === true);
          // A process folds pages until it dies; the next one (fresh, nothing in memory) resumes at the first page
          // not acknowledged, as the shard's checkpoint does.
          let acknowledged = 0;
          const first = consumerOn(world, dying.store);
          for (const page of pages) {
            try {
              await first.handleBatch(page);
            } catch {
              break;
            }
            acknowledged += 1;
          }
          const second = consumerOn(world, views);
          for (const page of pages.slice(acknowledged)) await second.handleBatch(page);
          expect(await reloaded(views)).toBe(world.models.snapshot());
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a page killed after some of its views were written, the job view among them, still ends complete', async () => {
    // JobStarted moves the job view AND the runner-use index. Were the job view (its version guard) written and the
    // index not, the page delivered again would find JobStarted already applied and the index would never move.
    const world = await runWorkload([
      { kind: 'queue', job: '1', label: 0 },
      { kind: 'start', job: '1', onMachineOf: '1' },
    ]);
    const events = await allEvents(world);
    expect(events.map((e) => e.type)).toContain('JobStarted');
    const views = createMemoryViewStore();
    // Dies in the first put that carries the index, having written only what guards a stream.
    const guarded = new Set<string>(['job', 'machine', 'pool']);
    let died = false;
    const dying: ViewStore = {
      get: (kind, ids) => views.get(kind, ids),
      list: (kind, options) => views.list(kind, options),
      put: async (writes) => {
        if (died || !writes.some((w) => w.view.kind === 'runner-use')) return views.put(writes);
        died = true;
        await views.put(writes.filter((w) => guarded.has(w.view.kind)));
        throw new Error('killed while writing views');
      },
    };
    await expect(consumerOn(world, dying).handleBatch(events)).rejects.toThrow('killed');
    await consumerOn(world, views).handleBatch(events);
    expect(await reloaded(views)).toBe(world.models.snapshot());
  });

  it('handle is a page of one', async () => {
    const world = await runWorkload([{ kind: 'queue', job: '1', label: 0 }]);
    const views = createMemoryViewStore();
    const consumer = consumerOn(world, views);
    const events: ReadonlyArray<RecordedEvent> = await allEvents(world);
    for (const recorded of events) expect(await consumer.handle(recorded)).toBe('applied');
    for (const recorded of events) expect(await consumer.handle(recorded)).toBe('duplicate');
    expect(await reloaded(views)).toBe(world.models.snapshot());
  });
});
