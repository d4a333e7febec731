import type { JobSpec } from '../labels/job-spec.js';
import { toMillis } from '../shared/time.js';
import { EPHEMERAL_DEFAULTS, EPHEMERAL_DEMAND_WINDOW_MINUTES, EPHEMERAL_IDLE_REMOVAL_MINUTES } from './constants.js';
import type { PoolConfig } from './pool-state.js';

/**
 * Ephemeral pools (SPEC section 4): the first job naming a pool nobody configured creates it, sized from demand
 * (the p90 of per-minute job concurrency over the last hour), and it is removed after 4 hours without a job. Demand
 * is derived from the job views (never appended per job to the pool stream, DESIGN section 2); every target the
 * reconciler uses is recorded in its `PoolReconciled`.
 */
export interface PoolDemand {
  /** p90 of the per-minute count of the pool's jobs in flight over the last hour. */
  readonly p90: number;
  /** When the last job naming the pool was queued (null: none known). */
  readonly lastJobAt: string | null;
}

/** One job of the pool: from when it asked for a runner to when it finished (null: still going). */
export interface JobInterval {
  readonly from: string;
  readonly to: string | null;
}

/** SPEC section 4: a job still in flight after 2 h is stale and no longer counts as demand. */
const STALE_MINUTES = 120;

/** 1-min samples over the window, index floor(0.9 (N - 1)) of the sorted counts (SPEC section 4). */
export const p90Concurrency = (intervals: ReadonlyArray<JobInterval>, now: string): number => {
  const end = toMillis(now);
  const spans = intervals.flatMap(({ from, to }) => {
    const start = toMillis(from);
    if (to === null && end - start > STALE_MINUTES * 60_000) return [];

    return [{ start, stop: to === null ? Number.POSITIVE_INFINITY : toMillis(to) }];
  });
  const samples = Array.from({ length: EPHEMERAL_DEMAND_WINDOW_MINUTES }, (_, minute) => {
    const at = end - minute * 60_000;

    return spans.filter((span) => span.start <= at && at < span.stop).length;
  }).sort((a, b) => a - b);

  return samples[Math.floor(0.9 * (samples.length - 1))] ?? 0;
};

/** Whether the pool's last job is less than 4 h old. */
export const withinIdleWindow = (lastJobAt: string | null, now: string): boolean =>
  lastJobAt !== null && toMillis(now) - toMillis(lastJobAt) < EPHEMERAL_IDLE_REMOVAL_MINUTES * 60_000;

/** SPEC section 4: no hot members; stopped = max(1, p90) under demand, 1 after a recent job, else as configured. */
export const ephemeralTargets = (config: PoolConfig, demand: PoolDemand, now: string) => ({
  running: 0,
  stopped:
    demand.p90 > 0 ? Math.max(1, demand.p90) : withinIdleWindow(demand.lastJobAt, now) ? 1 : config.desiredStopped,
});

/** An ephemeral pool with no job for 4 hours is removed (its members then end through the reconciler). */
export const ephemeralExpired = (config: PoolConfig, demand: PoolDemand, now: string): boolean =>
  config.ephemeral && !withinIdleWindow(demand.lastJobAt, now);

/**
 * The members' label, re-resolved from the job's spec (lesson 13: never a pinned instance type): the flexible keys
 * only, without the run id, so every later job naming the pool gets the same kind of machine.
 */
export const labelFromSpec = (name: string, spec: JobSpec): string => {
  const segments = [`pool=${name}`, `cpu=${String(spec.cpu.min)}+${String(spec.cpu.max)}`];
  if (spec.ram !== null)
    segments.push(
      spec.ram.max === null ? `ram=${String(spec.ram.min)}` : `ram=${String(spec.ram.min)}+${String(spec.ram.max)}`,
    );
  if (spec.arch !== null) segments.push(`arch=${spec.arch}`);
  if (spec.families.length > 0) segments.push(`family=${spec.families.join('+')}`);
  if (spec.gen !== null) segments.push(`gen=${String(spec.gen)}`);
  if (spec.disk !== null) segments.push(`disk=${String(spec.disk)}`);

  return `runs-fleet/${segments.join('/')}`;
};

/** The configuration the first job naming an unknown pool creates. */
export const ephemeralPoolFor = (name: string, spec: JobSpec): PoolConfig => ({
  name,
  label: labelFromSpec(name, spec),
  desiredRunning: EPHEMERAL_DEFAULTS.desiredRunning,
  desiredStopped: EPHEMERAL_DEFAULTS.desiredStopped,
  idleTimeoutMinutes: EPHEMERAL_DEFAULTS.idleTimeoutMinutes,
  schedules: [],
  ephemeral: true,
  timeZone: null,
});
