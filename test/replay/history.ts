import { runnerNameFor } from '../../domain/machine/launch-request.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { createWorld, type JobInput } from '../world/world.js';

/**
 * A small fixed history, recorded by driving the in-memory world with a fixed clock (2026-11-27T12:00:00Z):
 * job 101 runs normally; job 102's first spot launch fails for capacity and it is re-dispatched; job 103 has an
 * invalid label and is rejected.
 */
export const JOB_OK: JobInput = { jobId: '101', labels: ['runs-fleet=1/cpu=4/arch=arm64'] };
export const JOB_DETOUR: JobInput = { jobId: '102', labels: ['runs-fleet=2/cpu=2/arch=arm64'] };
export const JOB_REJECTED: JobInput = { jobId: '103', labels: ['runs-fleet=3/cpu=abc'] };

export const recordHistory = async (): Promise<ReadonlyArray<RecordedEvent>> => {
  const world = createWorld();
  const step = async (ms: number, action: () => Promise<void>) => {
    world.clock.advance(ms);
    await action();
    await world.settle();
  };
  const machineOf = (job: JobInput) => world.models.job(job.jobId)?.machineId ?? null;
  const runnerOf = (job: JobInput) => {
    const machine = machineOf(job);
    return machine === null ? null : runnerNameFor(machine);
  };
  await step(0, () => world.queued(JOB_OK));
  await step(3_000, () =>
    world.observe(machineOf(JOB_OK) ?? '', {
      type: 'RunnerRegistered',
      data: { runnerName: runnerOf(JOB_OK) ?? '', runnerId: 7 },
    }),
  );
  await step(2_000, () => world.started(JOB_OK, runnerOf(JOB_OK)));
  await step(60_000, () => world.completed(JOB_OK, 'success', runnerOf(JOB_OK)));
  world.compute.failNext({
    errorClass: 'capacity',
    message: 'InsufficientInstanceCapacity',
    typesTried: ['c7g.large'],
  });
  await step(1_000, () => world.queued(JOB_DETOUR));
  await step(4_000, () => world.started(JOB_DETOUR, runnerOf(JOB_DETOUR)));
  await step(30_000, () => world.completed(JOB_DETOUR, 'success', runnerOf(JOB_DETOUR)));
  await step(1_000, () => world.queued(JOB_REJECTED));
  return world.store.readAfter(0, 1_000_000);
};

/** Two jobs with the same labels; GitHub gives job 202 the runner launched for job 201, which is re-dispatched. */
export const recordRunnerTaken = async (): Promise<ReadonlyArray<RecordedEvent>> => {
  const world = createWorld();
  const a: JobInput = { jobId: '201', labels: ['runs-fleet=5/cpu=2/arch=arm64'] };
  const b: JobInput = { jobId: '202', labels: ['runs-fleet=5/cpu=2/arch=arm64'] };
  const step = async (ms: number, action: () => Promise<void>) => {
    world.clock.advance(ms);
    await action();
    await world.settle();
  };
  await step(0, () => world.queued(a));
  await step(1_000, () => world.queued(b));
  const runnerOfA = runnerNameFor(world.models.job(a.jobId)?.machineId ?? '');
  await step(5_000, () => world.started(b, runnerOfA));
  return world.store.readAfter(0, 1_000_000);
};
