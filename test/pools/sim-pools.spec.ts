import { afterEach, describe, expect, it } from 'vitest';
import { poolStreamId } from '../../domain/shared/ids.js';
import { poolConfig } from './pool-world.js';
import { createSimPools, type SimPools } from './sim-harness.js';

/** Warm pools on the simulated cloud (issue 5 acceptance 3): real stop/start semantics and a real agent. */
let world: SimPools | undefined;
afterEach(() => world?.close());

const configure = async (w: SimPools, hot: number, stopped: number) => {
  const version = w.models.pool('default')?.version ?? 0;
  const data = poolConfig({ desiredRunning: hot, desiredStopped: stopped, label: 'runs-fleet/pool=default' });
  await w.store.append(
    poolStreamId('default'),
    [{ type: 'PoolConfigured', data, metadata: { at: w.clock.now() } }],
    version,
  );
};

const cloudPool = (w: SimPools) => {
  const members = w.sim.machines().filter((m) => m.tags['runs-fleet:sim'] === 'true');
  const count = (state: string) => members.filter((m) => m.state === state).length;

  return {
    running: count('running'),
    stopped: count('stopped'),
    pending: count('pending'),
    terminated: count('terminated'),
  };
};

/** The timer's loop: reconcile, let the cloud boot what it launched, a minute passes. */
const converge = async (w: SimPools, minutes: number) => {
  for (let i = 0; i < minutes; i += 1) {
    await w.reconcile();
    await w.until(() => cloudPool(w).pending === 0);
    w.clock.advance(60_000);
  }
};

describe('warm pools on the simulated cloud', () => {
  it('converges from empty to 2 stopped and 1 hot', async () => {
    world = createSimPools();
    await configure(world, 1, 2);
    await converge(world, 14);
    expect(cloudPool(world)).toEqual({ running: 1, stopped: 2, pending: 0, terminated: 0 });
  });

  it('a job claims a stopped member: the cloud starts it (no launch), its agent runs the job, the pool refills', async () => {
    world = createSimPools();
    const w = world;
    await configure(w, 0, 1);
    await converge(w, 6);
    expect(cloudPool(w)).toEqual({ running: 0, stopped: 1, pending: 0, terminated: 0 });
    const [member] = w.sim.machines();
    const jobId = await w.queue(['runs-fleet=5/pool=default']);
    await w.until(() => w.github.jobs().find((j) => j.id === jobId)?.status === 'completed');
    const job = w.github.jobs().find((j) => j.id === jobId);
    expect(job?.runnerName).toBe(member?.runnerName);
    expect(w.sim.machines()).toHaveLength(1);
    await w.until(() => w.models.job(jobId)?.status === 'completed');
    // The runner may take the job before the assignment is recorded: what ran it is the runner name.
    expect(w.models.job(jobId)?.runnerName).toBe(member?.runnerName);
    expect(w.models.poolClaim(jobId)).toEqual({ attempt: 1, machineId: member?.machineId });
    await converge(w, 6);
    expect(cloudPool(w)).toEqual({ running: 0, stopped: 1, pending: 0, terminated: 1 });
  });

  it('two jobs for one member: one is served by it, the other cold-starts; both complete', async () => {
    world = createSimPools();
    const w = world;
    await configure(w, 0, 1);
    await converge(w, 6);
    const [member] = w.sim.machines();
    const first = await w.queue(['runs-fleet=6/pool=default']);
    const second = await w.queue(['runs-fleet=7/pool=default']);
    await w.until(() => [first, second].every((id) => w.models.job(id)?.status === 'completed'));
    const served = [first, second].map((id) => w.models.job(id)?.runnerName);
    expect(served).toContain(member?.runnerName);
    expect(new Set(served).size).toBe(2);
    const cold = w.sim.machines().find((m) => m.machineId !== member?.machineId && m.requestedFor !== null);
    // A cold start keeps the job's own capacity choice (SPEC section 1: spot= only affects cold starts).
    expect(cold?.capacity).toBe('spot');
  });
});
