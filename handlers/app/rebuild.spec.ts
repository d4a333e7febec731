import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryViewStore } from '../../adapters/views-memory/memory-view-store.js';
import { ReadModels } from '../../projections/read-models.js';
import { runWorkload, stepArbitrary } from '../../test/world/workload.js';
import { createWorld } from '../../test/world/world.js';
import { rebuildReadModels, type RebuildProgress } from './rebuild.js';

const settings = { defaultBackend: 'ec2' } as const;
const at = '2026-11-27T12:00:00.000Z';

const settledWorld = async () => {
  const world = createWorld();
  await world.queued({ jobId: '1', labels: ['runs-fleet/cpu=4/arch=arm64'] });
  await world.queued({ jobId: '2', labels: ['runs-fleet/cpu=2/spot=false'] });
  await world.queued({ jobId: '3', labels: ['runs-fleet/cpu=abc'] });
  await world.settle();
  await world.completed({ jobId: '1', labels: ['runs-fleet/cpu=4/arch=arm64'] }, 'success');
  await world.settle();
  return world;
};

describe('rebuild from the table', () => {
  it('gives the views the live pipeline built, from the streams alone', async () => {
    const world = await settledWorld();
    const result = await rebuildReadModels({ store: world.store, settings });
    expect(result.models.snapshot()).toEqual(world.models.snapshot());
    expect(result.streams).toEqual({ job: 3, machine: 2, pool: 0 });
    expect(result.events).toBe((await world.store.readAfter(0, 10_000)).length);
    expect(result.quarantined).toEqual([]);
  });

  it('matches the live views after any random history', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { maxLength: 25 }), async (steps) => {
        const world = await runWorkload(steps);
        const { models } = await rebuildReadModels({ store: world.store, settings });
        expect(models.snapshot()).toEqual(world.models.snapshot());
      }),
      { numRuns: 30 },
    );
  });

  it('quarantines a stream it cannot fold, reports why, and rebuilds the others', async () => {
    const world = await settledWorld();
    await world.store.append('job#1', [{ type: 'JobTeleported', data: {}, metadata: { at } }], 4);
    await world.store.append('job#9', [{ type: 'JobQueued', data: { nonsense: true }, metadata: { at } }], 0);
    const result = await rebuildReadModels({ store: world.store, settings });
    expect(result.quarantined.map((q) => [q.streamId, q.version])).toEqual([
      ['job#1', 5],
      ['job#9', 1],
    ]);
    expect(result.quarantined[0]?.reason).toBe('unknown event type JobTeleported');
    expect(result.quarantined[1]?.reason).toMatch(/JobQueued|nonsense|jobId/);
    // The stream stops at its last good event; the rest rebuild as before.
    expect(result.models.job('1')).toEqual(world.models.job('1'));
    expect(result.models.job('2')).toEqual(world.models.job('2'));
  });

  it('writes every view to a view store, conditionally, and reports progress', async () => {
    const world = await settledWorld();
    const views = createMemoryViewStore();
    const progress: RebuildProgress[] = [];
    const result = await rebuildReadModels({
      store: world.store,
      settings,
      views,
      progressEvery: 1,
      onProgress: (p) => void progress.push(p),
    });
    expect(result.viewConflicts).toBe(0);
    const loaded = new ReadModels(settings);
    for (const kind of ['job', 'machine', 'runner-use', 'breaker'] as const) {
      const stored = [];
      for await (const view of views.list(kind)) stored.push(view);
      loaded.load(stored);
    }
    expect(loaded.snapshot()).toEqual(world.models.snapshot());
    expect(progress.at(-1)).toEqual({ category: 'pool', streams: 0, events: result.events });
    expect(progress.filter((p) => p.category === 'job').map((p) => p.streams)).toEqual([1, 2, 3, 3]);
    // A second rebuild into the same store does not overwrite what is there: every view conflicts.
    const again = await rebuildReadModels({ store: world.store, settings, views });
    expect(again.viewConflicts).toBe(views.size);
  });

  it('does not depend on the order listStreams answers in', async () => {
    const world = await settledWorld();
    const reversed = {
      ...world.store,
      listStreams: async function* (category: string) {
        const ids: string[] = [];
        for await (const id of world.store.listStreams(category)) ids.push(id);
        yield* ids.reverse();
      },
    };
    const a = await rebuildReadModels({ store: world.store, settings });
    const b = await rebuildReadModels({ store: reversed, settings });
    expect(b.models.snapshot()).toEqual(a.models.snapshot());
  });
});
