import type { PoolConfig } from '../../domain/pool/pool-state.js';
import { poolStreamId } from '../../domain/shared/ids.js';
import { readModelsPoolSource } from '../../handlers/pools/pool-sources.js';
import { reconcilePools, type ReconcileOutcome } from '../../handlers/pools/reconciler.js';
import type { World } from '../world/world.js';

/** What these helpers need of a world: the in-memory one, or test/ec2's on moto. */
export type PoolWorld = Pick<World, 'store' | 'models' | 'clock' | 'settle'>;

/** Warm pools in the in-memory world: configure a pool, run the reconciler on the world's clock, boot machines. */
export const poolConfig = (over: Partial<PoolConfig> = {}): PoolConfig => ({
  name: 'default',
  label: 'runs-fleet/pool=default/cpu=2/arch=arm64',
  desiredRunning: 0,
  desiredStopped: 0,
  idleTimeoutMinutes: 10,
  schedules: [],
  ephemeral: false,
  timeZone: null,
  ...over,
});

export const configurePool = async (world: PoolWorld, config: PoolConfig): Promise<void> => {
  const version = world.models.pool(config.name)?.version ?? 0;
  await world.store.append(
    poolStreamId(config.name),
    [{ type: 'PoolConfigured', data: config, metadata: { at: world.clock.now() } }],
    version,
  );
  await world.settle();
};

export const reconcile = async (world: PoolWorld): Promise<ReadonlyArray<ReconcileOutcome>> => {
  const outcomes = await reconcilePools({
    store: world.store,
    source: readModelsPoolSource(() => world.models),
    now: world.clock.now(),
  });
  await world.settle();

  return outcomes;
};

/** What a cloud reports once a launched machine has booted. */
export const bootLaunched = async (world: World): Promise<void> => {
  for (const [machineId, machine] of world.models.machines) {
    if (machine.status === 'launched')
      await world.observe(machineId, { type: 'MachineRunning', data: { cloudId: machine.cloudId ?? 'i-unknown' } });
  }
  await world.settle();
};

/** Reconcile, boot and let a minute pass, `minutes` times: the timer's loop on a test clock. */
export const runMinutes = async (world: World, minutes: number): Promise<void> => {
  for (let i = 0; i < minutes; i += 1) {
    await reconcile(world);
    await bootLaunched(world);
    world.clock.advance(60_000);
  }
};

export interface PoolCounts {
  readonly hot: number;
  readonly stopped: number;
  readonly booting: number;
  readonly claimed: number;
}

export const poolCounts = (world: PoolWorld, name = 'default'): PoolCounts => {
  const members = [...world.models.machines.values()].filter(
    (m) => m.pool === name && m.status !== 'terminated' && m.status !== 'failed',
  );
  // A cold start for a job naming the pool carries the pool too, but was launched for that job.
  const free = members.filter((m) => !(m.claimedVersion > 0) && m.jobId === null);

  return {
    hot: free.filter((m) => m.status === 'running').length,
    stopped: free.filter((m) => m.status === 'stopped').length,
    booting: free.filter((m) => m.status === 'requested' || m.status === 'launched').length,
    claimed: members.length - free.length,
  };
};

export const typesOf = async (world: PoolWorld, streamId: string): Promise<string[]> =>
  (await world.store.read(streamId)).map((e) => e.type);
