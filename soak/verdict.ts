import type { SimJob, SimMachineSnapshot } from '../adapters/sim/index.js';
import { jobStreamId } from '../domain/shared/ids.js';
import type { EventStore } from '../domain/store/index.js';
import type { JobTrace } from './webhook-relay.js';

/**
 * The soak's verdict, from records kept OUTSIDE the service: the relay's acknowledged deliveries (which jobs were
 * accepted), the simulated GitHub's jobs (which were served: completed by a runner) and the simulated cloud's
 * machines (its own launch log). Only for a job GitHub does not show as done is the store asked whether the service
 * gave it up visibly (`JobFailed`, `JobRejected`).
 *
 * - served: GitHub shows the job completed successfully, by a runner;
 * - visibly failed: GitHub shows it failed (its runner's machine was lost mid-job: the service asks for a re-run,
 *   which is a new job) or cancelled, or the service recorded that it gave up;
 * - lost: acknowledged, and neither;
 * - duplicate: a second (third, …) machine launched for one job attempt;
 * - orphan: a machine still alive after quiescence (no job is live by then).
 */
export interface SoakVerdict {
  readonly accepted: number;
  readonly served: number;
  readonly visiblyFailed: number;
  readonly lost: number;
  readonly lostJobs: ReadonlyArray<string>;
  readonly machinesLaunched: number;
  /** Machines launched for no job (the pool's members), and how many of them ran a job. */
  readonly poolMembers: { readonly launched: number; readonly servedJobs: number };
  readonly duplicates: number;
  readonly duplicateAttempts: ReadonlyArray<string>;
  readonly orphans: number;
  readonly orphanMachines: ReadonlyArray<string>;
  /** Re-runs GitHub created on the service's request (each a job of its own). */
  readonly reruns: number;
  readonly timeToRunnerMs: { readonly p50: number | null; readonly p99: number | null };
}

const GAVE_UP = new Set(['JobFailed', 'JobRejected', 'JobCancelled']);

export const percentile = (sorted: ReadonlyArray<number>, p: number): number | null =>
  sorted.length === 0 ? null : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null);

const duplicatesOf = (machines: ReadonlyArray<SimMachineSnapshot>) => {
  const perAttempt = new Map<string, number>();
  for (const machine of machines) {
    const key =
      machine.requestedFor === null
        ? `command ${machine.commandId}`
        : `job ${machine.requestedFor.jobId} attempt ${String(machine.requestedFor.attempt)}`;
    perAttempt.set(key, (perAttempt.get(key) ?? 0) + 1);
  }
  const repeated = [...perAttempt].filter(([, n]) => n > 1);

  return { count: repeated.reduce((sum, [, n]) => sum + n - 1, 0), keys: repeated.map(([key]) => key) };
};

const gaveUp = async (store: EventStore, jobId: string): Promise<boolean> =>
  (await store.read(jobStreamId(jobId))).some((event) => GAVE_UP.has(event.type));

export const judge = async (inputs: {
  readonly traces: ReadonlyMap<string, JobTrace>;
  readonly githubJobs: ReadonlyArray<SimJob>;
  readonly machines: ReadonlyArray<SimMachineSnapshot>;
  readonly store: EventStore;
}): Promise<SoakVerdict> => {
  const github = new Map(inputs.githubJobs.map((job) => [job.id, job]));
  const accepted = [...inputs.traces.values()].filter((trace) => trace.acked.size > 0);
  let served = 0;
  let visiblyFailed = 0;
  const lostJobs: string[] = [];
  for (const trace of accepted) {
    const job = github.get(trace.jobId);
    const done = job?.status === 'completed' && job.runnerName !== null;
    if (done && job.conclusion === 'success') served += 1;
    else if (job?.status === 'completed' || (await gaveUp(inputs.store, trace.jobId))) visiblyFailed += 1;
    else lostJobs.push(trace.jobId);
  }
  const waits = accepted
    .flatMap((t) => (t.queuedAt !== null && t.inProgressAt !== null ? [t.inProgressAt - t.queuedAt] : []))
    .sort((a, b) => a - b);
  const duplicates = duplicatesOf(inputs.machines);
  const orphans = inputs.machines.filter((machine) => machine.state !== 'terminated');
  const members = inputs.machines.filter((machine) => machine.requestedFor === null);
  const runners = new Set(inputs.githubJobs.flatMap((job) => (job.runnerName === null ? [] : [job.runnerName])));

  return {
    accepted: accepted.length,
    served,
    visiblyFailed,
    lost: lostJobs.length,
    lostJobs,
    machinesLaunched: inputs.machines.length,
    poolMembers: {
      launched: members.length,
      servedJobs: members.filter((machine) => runners.has(machine.runnerName)).length,
    },
    duplicates: duplicates.count,
    duplicateAttempts: duplicates.keys,
    orphans: orphans.length,
    orphanMachines: orphans.map((machine) => `${machine.machineId} (${machine.state}, ${machine.cloudId})`),
    reruns: inputs.githubJobs.filter((job) => job.runAttempt > 1).length,
    timeToRunnerMs: { p50: percentile(waits, 50), p99: percentile(waits, 99) },
  };
};
