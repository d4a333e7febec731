import { describe, expect, it } from 'vitest';
import { createMemoryViewStore } from '../../adapters/views-memory/memory-view-store.js';
import { createPipeline } from '../../handlers/app/pipeline.js';
import { readModelsPoolSource } from '../../handlers/pools/pool-sources.js';
import { reconcilePools, type PoolSource } from '../../handlers/pools/reconciler.js';
import { viewStorePoolSource } from '../../handlers/serve/view-store-source.js';
import { ReadModels } from '../../projections/read-models.js';
import type { ViewStore } from '../../projections/view-store.js';
import { createWorld, type World } from '../world/world.js';
import { configurePool, poolConfig } from './pool-world.js';

/**
 * What one reconcile pass reads. Under load, queued jobs and claims poke a pass several times a second; on DynamoDB
 * a pass that listed every job and machine view each time kept the view table busy for the whole fleet.
 */
const counting = (source: PoolSource) => {
  const calls = { jobs: 0, machineIds: [] as string[][] };

  return {
    calls,
    source: {
      pools: () => source.pools(),
      jobs: () => {
        calls.jobs += 1;

        return source.jobs();
      },
      machines: (ids: ReadonlyArray<string>) => {
        calls.machineIds.push([...ids]);

        return source.machines(ids);
      },
    } satisfies PoolSource,
  };
};

const pass = (world: World, source: PoolSource, only?: ReadonlyArray<string>) =>
  reconcilePools({ store: world.store, source, now: world.clock.now(), ...(only ? { only: new Set(only) } : {}) });

describe('what a reconcile pass reads', () => {
  it('a pass poked for a configured pool decides without the job views', async () => {
    const world = createWorld();
    await configurePool(world, poolConfig({ desiredStopped: 1 }));
    const { calls, source } = counting(readModelsPoolSource(() => world.models));
    const [outcome] = await pass(world, source, ['default']);
    expect(outcome).toMatchObject({ pool: 'default', kind: 'reconciled' });
    expect(calls.jobs).toBe(0);
  });

  it('reads the job views for a poke naming an unknown pool, an ephemeral pool, and every full pass', async () => {
    const world = createWorld();
    await configurePool(world, poolConfig({ desiredStopped: 1 }));
    await world.queued({ jobId: '1', labels: ['runs-fleet=5/pool=ci/cpu=2/arch=arm64'] });
    await world.settle();
    const { calls, source } = counting(readModelsPoolSource(() => world.models));
    expect(await pass(world, source, ['ci'])).toContainEqual({ pool: 'ci', kind: 'created-ephemeral' });
    expect(calls.jobs).toBe(1);
    await world.settle();
    await pass(world, source, ['ci']);
    expect(calls.jobs).toBe(2);
    await pass(world, source);
    expect(calls.jobs).toBe(3);
  });

  it('on the view store, reads the members by id, never the whole machine partition', async () => {
    const world = createWorld();
    await configurePool(world, poolConfig({ desiredRunning: 1 }));
    await pass(world, readModelsPoolSource(() => world.models), ['default']);
    await world.settle();
    const [member] = world.models.pool('default')?.members ?? [];
    expect(member).toBeDefined();
    // A machine of no pool, which a pass must not read.
    await world.queued({ jobId: '2', labels: ['runs-fleet=6/cpu=2/arch=arm64'] });
    await world.settle();
    expect(world.models.machines.size).toBe(2);

    // What a consumer persists: every view, from a fresh copy of the models.
    const copy = new ReadModels({ defaultBackend: 'ec2' });
    const pipeline = createPipeline(world.store, copy, { dispatch: async () => undefined });
    for (const event of await world.store.readAfter(0, 10_000)) await pipeline.handle(event);
    const views = createMemoryViewStore();
    await views.put(copy.takeChanges());
    const listed: string[] = [];
    const watched: ViewStore = {
      ...views,
      list: (kind, options) => {
        listed.push(kind);

        return views.list(kind, options);
      },
    };
    const { calls, source } = counting(viewStorePoolSource(watched, { defaultBackend: 'ec2' }));
    await pass(world, source, ['default']);
    expect(calls.machineIds).toEqual([[member]]);
    expect(listed).toEqual(['pool']);
    expect((await source.machines([member ?? ''])).get(member ?? '')?.pool).toBe('default');
  });
});
