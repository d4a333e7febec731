import type { JobState } from '../job/job-state.js';
import type { MachineState } from '../machine/machine-state.js';
import type { ProcessViews } from '../process/process-views.js';
import { toMillis } from '../shared/time.js';

/**
 * What housekeeping reads: the process views plus the times the read models keep. `ReadModels` (projections/) fits
 * as it is; a machine or job folded freshly from its stream fits too, which is how every decision is re-checked on
 * the latest state before it is recorded and again before it acts.
 */
export interface MachineFacts extends MachineState {
  readonly version: number;
  readonly requestedAt: string | null;
  readonly launchedAt: string | null;
  readonly endedAt: string | null;
}

export interface JobFacts extends JobState {
  readonly version: number;
  readonly times: { readonly assignedAt: string | null; readonly updatedAt: string | null };
}

export interface PoolFacts {
  readonly removed: boolean;
  readonly updatedAt: string | null;
}

export interface HousekeepingViews extends ProcessViews {
  job(jobId: string): JobFacts | undefined;
  machine(machineId: string): MachineFacts | undefined;
  readonly jobs: ReadonlyMap<string, JobFacts>;
  readonly machines: ReadonlyMap<string, MachineFacts>;
  readonly pools: ReadonlyMap<string, PoolFacts>;
}

/**
 * The views with some entities replaced by fresher copies (read from their streams just now). Everything else the
 * process views offer is passed through untouched, whatever it grows to hold.
 */
export const withFresh = (
  views: HousekeepingViews,
  fresh: {
    readonly machines?: ReadonlyArray<MachineFacts>;
    readonly jobs?: ReadonlyArray<JobFacts>;
    readonly pools?: ReadonlyArray<readonly [string, PoolFacts]>;
  },
): HousekeepingViews => {
  const machines = new Map(views.machines);
  for (const machine of fresh.machines ?? []) if (machine.machineId !== null) machines.set(machine.machineId, machine);
  const jobs = new Map(views.jobs);
  for (const job of fresh.jobs ?? []) if (job.jobId !== null) jobs.set(job.jobId, job);
  const pools = new Map([...views.pools, ...(fresh.pools ?? [])]);
  const replaced: Partial<HousekeepingViews> = {
    machines,
    jobs,
    pools,
    job: (id) => jobs.get(id),
    machine: (id) => machines.get(id),
  };

  return new Proxy(views, {
    get: (target, property, receiver) => {
      if (Object.hasOwn(replaced, property)) return replaced[property as keyof HousekeepingViews];
      const value: unknown = Reflect.get(target, property, receiver);

      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
};

/** The latest of some times (null when none is known). */
export const latest = (times: ReadonlyArray<string | null | undefined>): string | null =>
  times.reduce<string | null>(
    (best, at) => (at === null || at === undefined || (best !== null && toMillis(best) >= toMillis(at)) ? best : at),
    null,
  );
