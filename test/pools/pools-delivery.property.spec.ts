import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createMemoryViewStore } from '../../adapters/views-memory/index.js';
import { resume } from '../../domain/process/resume.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { createPipeline } from '../../handlers/app/pipeline.js';
import { createViewBackedConsumer } from '../../handlers/app/view-backed-consumer.js';
import { VIEW_KINDS } from '../../handlers/serve/store-composition.js';
import { ReadModels } from '../../projections/read-models.js';
import { createWorld, type World } from '../world/world.js';
import { configurePool, poolConfig, runMinutes } from './pool-world.js';

/**
 * DESIGN section 4, invariants 1 and 2, over a warm-pool history (reconciles, claims, a missed claim, a failed start,
 * members ending after their jobs): duplicated and re-ordered deliveries, in memory or through a view store, end in
 * the same views (pool claims included) and the same pending work.
 */
const SETTINGS = { defaultBackend: 'ec2' } as const;
let world: World;
let events: ReadonlyArray<RecordedEvent>;

beforeAll(async () => {
  world = createWorld();
  await configurePool(world, poolConfig({ desiredRunning: 1, desiredStopped: 2 }));
  await runMinutes(world, 14);
  for (const id of ['1', '2', '3']) await world.queued({ jobId: id, labels: [`runs-fleet=${id}/pool=default`] });
  await world.settle();
  world.compute.failStarts = 1;
  await world.queued({ jobId: '4', labels: ['runs-fleet=4/pool=default'] });
  await world.settle();
  await world.completed({ jobId: '1', labels: [] }, 'success');
  await runMinutes(world, 12);
  events = await world.store.readAfter(0, 1_000_000);
});

const deliveries = (noise: number[]) => {
  let i = 0;
  const next = () => noise[i++ % noise.length] ?? 0;

  return events
    .flatMap((e) => (next() % 3 === 0 ? [e, e] : [e]))
    .map((e) => ({ e, key: next() }))
    .sort((a, b) => a.key - b.key)
    .map(({ e }) => e);
};

describe('warm-pool histories under any delivery', () => {
  it('the history exercises claims, a miss, a failed start and reconciles', () => {
    const types = new Set(events.map((e) => e.type));
    for (const type of ['PoolReconciled', 'MachineClaimed', 'PoolClaimMissed', 'MachineStartFailed', 'MachineRetiring'])
      expect([type, types.has(type)]).toEqual([type, true]);
  });

  it('in memory: the same views and the same pending work as exactly-once delivery', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 50, maxLength: 50 }), async (noise) => {
        const models = new ReadModels(SETTINGS);
        const pipeline = createPipeline(world.store, models, createInProcessBus({}));
        for (const recorded of deliveries(noise)) await pipeline.handle(recorded);
        expect(models.snapshot()).toBe(world.models.snapshot());
        expect(resume(models, models, world.clock.now())).toEqual(
          resume(world.models, world.models, world.clock.now()),
        );
      }),
      { numRuns: 15 },
    );
  });

  it('resume after any prefix never re-emits a command whose effect is recorded (claims and fences aside)', async () => {
    // Claims and fences record that a worker took the command, not that its effect happened: a crash right after one
    // must re-derive the command (same id), and the executor carries on from there.
    const TAKEN = new Set(['MachineRequested', 'MachineLaunchRetried', 'MachineRetiring']);
    for (let length = 0; length <= events.length; length += 1) {
      const prefix = events.slice(0, length);
      const done = new Set(
        prefix.filter((e) => !TAKEN.has(e.type)).flatMap((e) => (e.metadata.commandId ? [e.metadata.commandId] : [])),
      );
      const models = new ReadModels(SETTINGS);
      const pipeline = createPipeline(world.store, models, createInProcessBus({}));
      for (const recorded of prefix) await pipeline.handle(recorded);
      const last = prefix.at(-1)?.metadata.at ?? world.clock.now();
      expect(resume(models, models, last).filter((c) => done.has(c.commandId))).toEqual([]);
    }
  });

  it('through a view store: reloading every view kind gives the in-memory fold', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 50, maxLength: 50 }), async (noise) => {
        const views = createMemoryViewStore();
        const consumer = createViewBackedConsumer({
          store: world.store,
          views,
          bus: createInProcessBus({}),
          settings: SETTINGS,
        });
        for (const recorded of deliveries(noise)) await consumer.handle(recorded);
        const reloaded = new ReadModels(SETTINGS);
        for (const kind of VIEW_KINDS) for await (const view of views.list(kind)) reloaded.load([view]);
        expect(reloaded.snapshot()).toBe(world.models.snapshot());
      }),
      { numRuns: 15 },
    );
  });
});
