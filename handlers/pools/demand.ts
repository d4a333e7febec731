import { isTerminal } from '../../domain/job/job-state.js';
import type { JobInterval, PoolDemand } from '../../domain/pool/ephemeral.js';
import type { JobView } from '../../projections/job-view.js';

/** Demand per pool from the job views: intervals for the p90 and the last job's time (SPEC section 4). */
export interface PoolJobs {
  readonly intervals: JobInterval[];
  lastJobAt: string | null;
  /** The latest job naming the pool (the spec a new ephemeral pool is created from). */
  latest: JobView | null;
}

export const jobsByPool = (jobs: Iterable<JobView>): ReadonlyMap<string, PoolJobs> => {
  const byPool = new Map<string, PoolJobs>();
  for (const job of jobs) {
    const name = job.spec?.pool ?? null;
    const from = job.times.runnerRequestedAt ?? job.times.queuedAt;
    if (name === null || from === null) continue;
    const entry = byPool.get(name) ?? { intervals: [], lastJobAt: null, latest: null };
    const finished = isTerminal(job.status);
    if (!finished || job.times.finishedAt !== null)
      entry.intervals.push({ from, to: finished ? job.times.finishedAt : null });
    const queuedAt = job.times.queuedAt ?? from;
    if (entry.lastJobAt === null || queuedAt > entry.lastJobAt) {
      entry.lastJobAt = queuedAt;
      entry.latest = job;
    }
    byPool.set(name, entry);
  }

  return byPool;
};

export const demandOf = (
  jobs: PoolJobs | undefined,
  p90: (intervals: ReadonlyArray<JobInterval>) => number,
): PoolDemand => ({ p90: jobs === undefined ? 0 : p90(jobs.intervals), lastJobAt: jobs?.lastJobAt ?? null });
