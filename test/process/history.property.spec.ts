import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import type { Command } from '../../domain/commands/commands.js';
import { decodeRecorded } from '../../domain/events/domain-event.js';
import { react } from '../../domain/process/react.js';
import { resume } from '../../domain/process/resume.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { createPipeline } from '../../handlers/app/pipeline.js';
import { createViewBackedConsumer } from '../../handlers/app/view-backed-consumer.js';
import { createMemoryViewStore } from '../../adapters/views-memory/index.js';
import { ReadModels } from '../../projections/read-models.js';
import { allEvents, runWorkload, stepArbitrary } from '../world/workload.js';

/** DESIGN section 4, invariants 1 and 2, and crash recovery through `resume`, over random histories. */

const SETTINGS = { defaultBackend: 'ec2' } as const;
const NOW = '2026-11-28T00:00:00.000Z';
const runs = { numRuns: 25 };
const history = fc.array(stepArbitrary, { minLength: 1, maxLength: 25 });

const fold = (events: ReadonlyArray<RecordedEvent>) => {
  const models = new ReadModels(SETTINGS);
  const commands: Command[] = [];
  for (const recorded of events) {
    const decoded = decodeRecorded(recorded);
    if (E.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
    if (models.apply(decoded.right).kind === 'apply') commands.push(...react(models, decoded.right));
  }

  return { models, commands };
};

/** Claims are not effects: a claimed launch with no outcome must be re-derived after a crash. */
const CLAIMS = new Set(['MachineRequested', 'MachineLaunchRetried']);

describe('histories', () => {
  it('replay determinism: the same events give the same views and the same commands, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(history, async (steps) => {
        const world = await runWorkload(steps);
        const events = await allEvents(world);
        const first = fold(events);
        const second = fold(events);
        expect(second.models.snapshot()).toBe(first.models.snapshot());
        expect(JSON.stringify(second.commands)).toBe(JSON.stringify(first.commands));
        expect(first.models.snapshot()).toBe(world.models.snapshot());
      }),
      runs,
    );
  });

  it('delivery tolerance: duplicated and re-ordered deliveries end in the same views and the same pending work', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.infiniteStream(fc.nat()), async (steps, noise) => {
        const world = await runWorkload(steps);
        const events = await allEvents(world);
        const once = fold(events);

        const iterator = noise[Symbol.iterator]();
        const next = () => iterator.next().value as number;
        const deliveries = events.flatMap((e) => (next() % 3 === 0 ? [e, e] : [e]));
        const shuffled = deliveries
          .map((e) => ({ e, key: next() }))
          .sort((a, b) => a.key - b.key)
          .map(({ e }) => e);
        const models = new ReadModels(SETTINGS);
        const pipeline = createPipeline(world.store, models, createInProcessBus({}));
        for (const recorded of shuffled) await pipeline.handle(recorded);

        expect(models.snapshot()).toBe(once.models.snapshot());
        expect(resume(models, models, NOW)).toEqual(resume(once.models, once.models, NOW));
      }),
      runs,
    );
  });

  it('resume after any prefix never re-emits a command whose effect is already recorded', async () => {
    await fc.assert(
      fc.asyncProperty(history, async (steps) => {
        const world = await runWorkload(steps);
        const events = await allEvents(world);
        for (let length = 0; length <= events.length; length += 1) {
          const prefix = events.slice(0, length);
          const done = new Set(
            prefix
              .filter((e) => !CLAIMS.has(e.type))
              .flatMap((e) => (e.metadata.commandId ? [e.metadata.commandId] : [])),
          );
          const { models } = fold(prefix);
          const again = resume(models, models, NOW).filter((c) => done.has(c.commandId));
          expect(again).toEqual([]);
        }
      }),
      runs,
    );
  });

  it('after quiescence nothing is pending and no machine is left without a reason to live', async () => {
    await fc.assert(
      fc.asyncProperty(history, async (steps) => {
        const world = await runWorkload(steps);
        expect(resume(world.models, world.models, world.clock.now())).toEqual([]);
        for (const [id, launches] of world.compute.launches) expect([id, launches]).toEqual([id, 1]);
      }),
      runs,
    );
  });
});

describe('histories through a view store', () => {
  it('a consumer that keeps its views in a store ends where the in-memory fold ends, whatever the delivery', async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.infiniteStream(fc.nat()), async (steps, noise) => {
        const world = await runWorkload(steps);
        const events = await allEvents(world);
        const iterator = noise[Symbol.iterator]();
        const next = () => iterator.next().value as number;
        const deliveries = events
          .flatMap((e) => (next() % 4 === 0 ? [e, e] : [e]))
          .map((e) => ({ e, key: next() }))
          .sort((a, b) => a.key - b.key)
          .map(({ e }) => e);
        const views = createMemoryViewStore();
        const consumer = createViewBackedConsumer({
          store: world.store,
          views,
          bus: createInProcessBus({}),
          settings: SETTINGS,
        });
        for (const recorded of deliveries) await consumer.handle(recorded);

        const reloaded = new ReadModels(SETTINGS);
        for (const kind of ['job', 'machine', 'pool', 'runner-use', 'breaker'] as const) {
          for await (const view of views.list(kind)) reloaded.load([view]);
        }
        expect(reloaded.snapshot()).toBe(world.models.snapshot());
      }),
      runs,
    );
  });
});
