import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeRecorded } from '../../domain/events/domain-event.js';
import { poolLaunchId } from '../../domain/pool/pool-state.js';
import { resume } from '../../domain/process/resume.js';
import { jobStreamId, machineStreamId } from '../../domain/shared/ids.js';
import { ReadModels } from '../../projections/read-models.js';
import { createWorld, type World } from '../world/world.js';
import { bootLaunched, configurePool, poolConfig, poolCounts, reconcile, runMinutes, typesOf } from './pool-world.js';

/** Warm pools end to end in the in-memory world: reconcile, claim, start, unwind (issue 5 acceptance 3). */
const job = (jobId: string, labels = [`runs-fleet=7/pool=default`]) => ({ jobId, labels });

const membersOf = (world: World) =>
  [...world.models.machines.entries()].filter(([, m]) => m.pool === 'default').map(([id]) => id);

const warmPool = async (over: Parameters<typeof poolConfig>[0]): Promise<World> => {
  const world = createWorld();
  await configurePool(world, poolConfig(over));
  await runMinutes(world, 15);

  return world;
};

describe('warm pools in the in-memory world', () => {
  it('from empty to N stopped and M hot: converges, all on-demand from the pool label, then holds still', async () => {
    const world = await warmPool({ desiredRunning: 2, desiredStopped: 3 });
    expect(poolCounts(world)).toEqual({ hot: 2, stopped: 3, booting: 0, claimed: 0 });
    for (const [, machine] of world.compute.live) {
      expect(machine.command.data.request).toMatchObject({
        capacity: 'on-demand',
        pool: 'default',
        jobId: null,
        label: 'runs-fleet/pool=default/cpu=2/arch=arm64',
      });
    }
    expect(world.compute.launches.size).toBe(5);
    expect(world.compute.terminated.size).toBe(0);
    const decisions = (await typesOf(world, 'pool#default')).filter((t) => t === 'PoolReconciled').length;
    await runMinutes(world, 10);
    expect((await typesOf(world, 'pool#default')).filter((t) => t === 'PoolReconciled').length).toBe(decisions);
  });

  it('a job claims a stopped member: started, not launched, registered under the job label', async () => {
    const world = await warmPool({ desiredRunning: 0, desiredStopped: 1 });
    const [member] = membersOf(world);
    const launches = world.compute.launches.size;
    await world.queued(job('101'));
    await world.settle();
    expect(world.compute.launches.size).toBe(launches);
    expect(world.compute.powerCalls.filter((c) => c.op === 'start').flatMap((c) => c.machineIds)).toEqual([member]);
    const jobView = world.models.job('101');
    expect(jobView).toMatchObject({ status: 'assigned', machineId: member });
    const assigned = (await world.store.read(jobStreamId('101'))).find((e) => e.type === 'RunnerAssigned');
    expect(assigned?.data).toMatchObject({ source: 'warm-pool', machineId: member });
    const prepared = world.dispatched.find((c) => c.type === 'PrepareRunnerConfig');
    expect(prepared?.data).toMatchObject({ machineId: member, jobId: '101', label: 'runs-fleet=7/pool=default' });
    expect(await typesOf(world, machineStreamId(member ?? ''))).toEqual(
      expect.arrayContaining(['MachineClaimed', 'MachineStarted', 'RunnerConfigPrepared']),
    );
  });

  it('the pool replaces a claimed member, and the member ends after its job like a cold start', async () => {
    const world = await warmPool({ desiredRunning: 1, desiredStopped: 0 });
    const [member] = membersOf(world);
    await world.queued(job('102'));
    await world.settle();
    expect(world.models.job('102')?.machineId).toBe(member);
    await runMinutes(world, 5);
    expect(poolCounts(world)).toEqual({ hot: 1, stopped: 0, booting: 0, claimed: 1 });
    await world.started(job('102'), `runs-fleet-${member ?? ''}`);
    await world.completed(job('102'), 'success', `runs-fleet-${member ?? ''}`);
    await world.settle();
    expect(world.compute.terminated.has(member ?? '')).toBe(true);
    expect(poolCounts(world)).toEqual({ hot: 1, stopped: 0, booting: 0, claimed: 0 });
  });

  it('concurrent jobs for one member: one winner, the other misses visibly and cold-starts', async () => {
    const world = await warmPool({ desiredRunning: 0, desiredStopped: 1 });
    const [member] = membersOf(world);
    const launches = world.compute.launches.size;
    await world.queued(job('201'));
    await world.queued(job('202'));
    await world.settle();
    const claims = world.dispatched.filter((c) => c.type === 'ClaimPoolMember');
    expect(claims.map((c) => c.data)).toEqual([
      expect.objectContaining({ jobId: '201', machineId: member }),
      expect.objectContaining({ jobId: '202', machineId: member }),
    ]);
    const machines = ['201', '202'].map((id) => world.models.job(id)?.machineId);
    expect(new Set(machines).size).toBe(2);
    expect(machines).toContain(member);
    const loser = machines[0] === member ? '202' : '201';
    expect(await typesOf(world, jobStreamId(loser))).toEqual([
      'JobQueued',
      'RunnerRequested',
      'PoolClaimMissed',
      'RunnerAssigned',
    ]);
    expect(world.compute.launches.size).toBe(launches + 1);
    expect(world.models.job(loser)?.status).toBe('assigned');
  });

  it('idle hot members are stopped only after boot grace, dwell and the idle timeout; a claimed one never', async () => {
    const world = createWorld();
    await configurePool(world, poolConfig({ desiredRunning: 1, desiredStopped: 1, idleTimeoutMinutes: 10 }));
    await reconcile(world);
    await bootLaunched(world);
    expect(poolCounts(world)).toEqual({ hot: 2, stopped: 0, booting: 0, claimed: 0 });
    const stops = () => world.compute.powerCalls.filter((c) => c.op === 'stop').length;
    for (const minutes of [1, 3, 9]) {
      world.clock.advance(minutes === 1 ? 60_000 : minutes === 3 ? 120_000 : 360_000);
      await reconcile(world);
      expect(stops()).toBe(0);
    }
    world.clock.advance(60_000);
    await reconcile(world);
    expect(stops()).toBe(1);
    expect(poolCounts(world)).toEqual({ hot: 1, stopped: 1, booting: 0, claimed: 0 });

    // The hot member is claimed; the pool is then emptied: only the unclaimed member goes.
    await world.queued(job('301'));
    await world.settle();
    const claimed = world.models.job('301')?.machineId ?? '';
    await configurePool(world, poolConfig({ desiredRunning: 0, desiredStopped: 0 }));
    await runMinutes(world, 15);
    expect(world.compute.terminated.has(claimed)).toBe(false);
    expect(world.models.machine(claimed)?.status).toBe('running');
    expect(poolCounts(world)).toEqual({ hot: 0, stopped: 0, booting: 0, claimed: 1 });
  });

  it('a member the cloud will not start unwinds visibly: the job is requeued and cold-starts', async () => {
    const world = await warmPool({ desiredRunning: 0, desiredStopped: 1 });
    const [member] = membersOf(world);
    world.compute.failStarts = 1;
    await world.queued(job('401'));
    await world.settle();
    const view = world.models.job('401');
    expect(view?.requeues).toEqual([expect.objectContaining({ attempt: 1, reason: 'pool-member-failed' })]);
    expect(view).toMatchObject({ status: 'assigned', attempt: 2 });
    expect(view?.machineId).not.toBe(member);
    expect(world.compute.terminated.has(member ?? '')).toBe(true);
  });

  it('resume after a crash right after the decision re-derives its commands with the same ids', async () => {
    const world = createWorld();
    await configurePool(world, poolConfig({ desiredRunning: 1, desiredStopped: 1 }));
    const [outcome] = await reconcile(world);
    const events = await world.store.readAfter(0, 1000);
    const decided = events.findIndex((e) => e.type === 'PoolReconciled');
    const models = new ReadModels({ defaultBackend: 'ec2' });
    for (const recorded of events.slice(0, decided + 1)) {
      const decoded = decodeRecorded(recorded);
      if (E.isRight(decoded)) models.apply(decoded.right);
    }
    const pending = resume(models, models, world.clock.now());
    const version = outcome?.kind === 'reconciled' ? outcome.version : -1;
    expect(pending.map((c) => [c.type, c.commandId])).toEqual([
      ['LaunchMachine', poolLaunchId('default', version, 0)],
      ['LaunchMachine', poolLaunchId('default', version, 1)],
    ]);
    expect(world.dispatched.filter((c) => c.type === 'LaunchMachine').map((c) => c.commandId)).toEqual(
      pending.map((c) => c.commandId),
    );
    // After everything ran, nothing is pending.
    expect(resume(world.models, world.models, world.clock.now())).toEqual([]);
  });
});
