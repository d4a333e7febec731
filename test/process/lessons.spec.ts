import { describe, expect, it } from 'vitest';
import type { Command, ProvisionCommand } from '../../domain/commands/commands.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { reconcileMachines } from '../../handlers/app/reconcile-machines.js';
import { createWorld, type JobInput, type World } from '../world/world.js';

/** SPEC section 14's lessons, as given/when/then over the whole in-process domain. */

const LABEL = 'runs-fleet=9000/cpu=4/arch=arm64';
const jobA: JobInput = { jobId: '1', labels: [LABEL] };
const jobB: JobInput = { jobId: '2', labels: [LABEL] };

const launches = (world: World): ProvisionCommand[] =>
  world.dispatched.filter((c): c is ProvisionCommand => c.type === 'LaunchMachine' || c.type === 'CreateRunnerPod');
const ofType = (world: World, type: Command['type']) => world.dispatched.filter((c) => c.type === type);
const machineOf = (world: World, job: JobInput) => world.models.job(job.jobId)?.machineId ?? '';

const queuedAndAssigned = async (...jobs: JobInput[]): Promise<World> => {
  const world = createWorld();
  for (const job of jobs) await world.queued(job);
  await world.settle();

  return world;
};

describe('lesson 1: dispatch is label-matched, not job-bound', () => {
  it('re-dispatches a job at once when a sibling with the same labels took its runner', async () => {
    const world = await queuedAndAssigned(jobA, jobB);
    const [machineA, machineB] = [machineOf(world, jobA), machineOf(world, jobB)];
    await world.started(jobB, runnerNameFor(machineA));
    await world.settle();

    const a = world.models.job('1');
    expect(a?.status).toBe('assigned');
    expect(a?.attempt).toBe(2);
    expect(a?.requeues).toEqual([
      { attempt: 1, reason: 'runner-taken', detail: expect.stringContaining('taken by job 2') },
    ]);
    expect(a?.ownRequeues).toBe(0);
    // B's own machine stays: its runner may be taking A right now (SPEC lesson 15), and here it does.
    expect(world.models.machine(machineB)?.status).toBe('launched');
    await world.started(jobA, runnerNameFor(machineB));
    await world.completed(jobA, 'success', runnerNameFor(machineB));
    await world.completed(jobB, 'success', runnerNameFor(machineA));
    await world.settle();

    // Once both finished, every machine has ended: the two that ran them and A's unused second machine.
    const machines = [...world.models.machines.values()];
    expect(machines).toHaveLength(3);
    expect(machines.map((m) => m.status)).toEqual(['terminated', 'terminated', 'terminated']);
  });

  it('re-dispatches a job still queued at GitHub after its runner ended without taking it', async () => {
    const world = await queuedAndAssigned(jobA);
    const machine = machineOf(world, jobA);
    await world.observe(machine, { type: 'MachineTerminated', data: { cloudId: null, reason: 'runner-exited' } });
    await world.settle();

    const a = world.models.job('1');
    expect(a?.attempt).toBe(2);
    expect(a?.requeues[0]?.reason).toBe('still-queued');
    expect(a?.ownRequeues).toBe(1);
    expect(a?.status).toBe('assigned');
  });
});

describe('machines lost while nobody listened', () => {
  it('re-dispatches a job whose machine the cloud no longer knows, without spending its budget', async () => {
    const world = await queuedAndAssigned(jobA, jobB);
    const lost = machineOf(world, jobA);
    world.compute.live.delete(lost);
    expect(await reconcileMachines(world.models, world.compute, world.observe)).toEqual([lost]);
    await world.settle();

    const a = world.models.job('1');
    expect(a?.requeues.map((r) => r.reason)).toEqual(['machine-lost']);
    expect([a?.attempt, a?.ownRequeues, a?.status]).toEqual([2, 0, 'assigned']);
    expect(world.models.job('2')?.attempt).toBe(1);
  });
});

describe('lesson 2: the original label is carried through every re-dispatch', () => {
  it('launches the retry under exactly the label the job asked for', async () => {
    const world = await queuedAndAssigned(jobA);
    await world.observe(machineOf(world, jobA), { type: 'MachineTerminated', data: { cloudId: null, reason: 'x' } });
    await world.settle();

    const labels = launches(world).map((c) => c.data.request.label);
    expect(labels).toEqual([LABEL, LABEL]);
  });
});

describe('lesson 5: stale reports cannot clobber a newer attempt', () => {
  it('ignores the end of the first machine once the job moved to its second attempt', async () => {
    const world = await queuedAndAssigned(jobA);
    const first = machineOf(world, jobA);
    await world.observe(first, { type: 'SpotInterruptionWarned', data: { cloudId: 'i-1', kind: 'spot-interruption' } });
    await world.settle();
    expect(world.models.job('1')?.attempt).toBe(2);

    await world.observe(first, { type: 'MachineTerminated', data: { cloudId: 'i-1', reason: 'spot' } });
    await world.settle();
    const a = world.models.job('1');
    expect(a?.attempt).toBe(2);
    expect(a?.status).toBe('assigned');
    expect(a?.requeues).toHaveLength(1);
  });
});

describe('lesson 13: no burstables by default', () => {
  it('never asks for t3 or t4g unless the label names them', async () => {
    const world = await queuedAndAssigned({ jobId: '5', labels: ['runs-fleet/cpu=2'] });
    const types = launches(world)[0]?.data.request.instanceTypes ?? [];
    expect(types.length).toBeGreaterThan(0);
    expect(types.filter((t) => t.startsWith('t3') || t.startsWith('t4g'))).toEqual([]);
  });
});

describe('lesson 14: spot loss', () => {
  it('requeues a job whose spot machine is reclaimed before it started, on-demand', async () => {
    const world = await queuedAndAssigned(jobA);
    expect(launches(world)[0]?.data.request.capacity).toBe('spot');
    await world.observe(machineOf(world, jobA), {
      type: 'SpotInterruptionWarned',
      data: { cloudId: 'i-1', kind: 'spot-interruption' },
    });
    await world.settle();

    expect(launches(world).map((c) => c.data.request.capacity)).toEqual(['spot', 'on-demand']);
    expect(world.models.job('1')?.infraRequeues).toBe(1);
  });

  it('asks GitHub for exactly one re-run when a running job was reclaimed and GitHub concluded failure', async () => {
    const world = await queuedAndAssigned(jobA);
    const machine = machineOf(world, jobA);
    await world.started(jobA, runnerNameFor(machine));
    await world.observe(machine, {
      type: 'SpotInterruptionWarned',
      data: { cloudId: 'i-1', kind: 'spot-interruption' },
    });
    await world.settle();
    expect(world.models.job('1')?.runnerLost).toBe(true);
    expect(launches(world)).toHaveLength(1);

    await world.completed(jobA, 'failure', runnerNameFor(machine));
    await world.completed(jobA, 'failure', runnerNameFor(machine));
    await world.settle();
    expect(ofType(world, 'RerunJob')).toHaveLength(1);
    expect(world.models.job('1')?.rerunRequested).toBe(true);
  });

  it('does not re-run a reclaimed job that GitHub concluded some other way', async () => {
    const world = await queuedAndAssigned(jobA);
    const machine = machineOf(world, jobA);
    await world.started(jobA, runnerNameFor(machine));
    await world.observe(machine, {
      type: 'SpotInterruptionWarned',
      data: { cloudId: 'i-1', kind: 'spot-interruption' },
    });
    await world.completed(jobA, 'success', runnerNameFor(machine));
    await world.settle();
    expect(ofType(world, 'RerunJob')).toHaveLength(0);
  });

  it('opens the circuit breaker after 3 interruptions of a type in 15 minutes, for 30 minutes', async () => {
    const world = createWorld();
    for (const id of ['11', '12', '13']) {
      await world.queued({ jobId: id, labels: [LABEL] });
      await world.settle();
      await world.observe(machineOf(world, { jobId: id, labels: [] }), {
        type: 'SpotInterruptionWarned',
        data: { cloudId: `i-${id}`, kind: 'spot-interruption' },
      });
      world.clock.advance(4 * 60_000);
      await world.settle();
    }
    await world.queued({ jobId: '14', labels: [LABEL] });
    await world.settle();
    const forJob = (id: string) => launches(world).filter((c) => c.data.request.jobId === id);
    expect(forJob('14').map((c) => c.data.request.capacity)).toEqual(['on-demand']);

    world.clock.advance(31 * 60_000);
    await world.queued({ jobId: '15', labels: [LABEL] });
    await world.settle();
    expect(forJob('15').map((c) => c.data.request.capacity)).toEqual(['spot']);
  });
});

describe('launch failures', () => {
  it('requeues on-demand after a spot capacity error, and fails visibly when the cloud refuses', async () => {
    const world = createWorld();
    world.compute.failNext(
      { errorClass: 'capacity', message: 'InsufficientInstanceCapacity', typesTried: ['c8g.xlarge'] },
      { errorClass: 'unauthorized', message: 'UnauthorizedOperation', typesTried: ['c8g.xlarge'] },
    );
    await world.queued(jobA);
    await world.settle();

    const a = world.models.job('1');
    expect(launches(world).map((c) => c.data.request.capacity)).toEqual(['spot', 'on-demand']);
    expect(a?.status).toBe('failed');
    expect(a?.failure).toEqual({ reason: 'launch-refused', message: 'UnauthorizedOperation' });
  });
});
