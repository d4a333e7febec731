import type { SoakPoolSize } from './pool.js';

/**
 * What one soak run does: how much work, how many orchestrators, which faults at which rates, and the simulation's
 * timings. Everything random is drawn from `seed`, so a failing run is repeated with the same seed. The defaults are
 * tuned so that 10,000 jobs fit in well under 15 minutes on a 2-core machine (`npm run soak -- --jobs 10000`).
 */
export interface SoakOptions {
  readonly jobs: number;
  readonly seed: number;
  /** Concurrent orchestrator processes on the one DynamoDB store. */
  readonly orchestrators: number;
  /** How many times an orchestrator dies (a kill point inside it, or SIGKILL from outside), spread over the run. */
  readonly kills: number;
  /** Which kill points a life may carry, and the share of lives that carry one while kills remain. */
  readonly killPoints: { readonly kinds: ReadonlyArray<KillKind>; readonly armedShare: number };
  /** The warm pool some jobs name (soak/pool.ts): configured before the first job, removed halfway. */
  readonly pool: SoakPoolSize;
  /** Jobs enqueued per second on average (bursts go above it, pauses below). */
  readonly jobsPerSecond: number;
  readonly webhookFaults: WebhookFaultRates;
  readonly serviceFaults: ServiceFaultRates;
  readonly cloud: SimCloudTimings;
  /** After the last job: how long the run may go without progress before what is left is reported as is. */
  readonly quietTimeoutMs: number;
  /** Where logs, and on failure the exported event log, are written. */
  readonly dir: string;
  /** The orchestrators' log level (their logs are in `dir`). */
  readonly logLevel: string;
  /** The orchestrator's entry (a test wires a deliberately broken composition through its own entry). */
  readonly orchestratorEntry: string;
}

/**
 * launch: right after the cloud's launch returned, before the outcome is recorded; decided: as a decision's commands
 * are dispatched; append: right after an append was acknowledged (test/crash/kill-points.ts).
 */
export type KillKind = 'launch' | 'decided' | 'append';

/** The simulated GitHub's deliveries, as the relay in front of the orchestrators distorts them. */
export interface WebhookFaultRates {
  /** Share of deliveries sent twice (GitHub redelivers), the copy later. */
  readonly duplicate: number;
  /** Share of deliveries held back up to `maxDelayMs` (which re-orders them across and within jobs). */
  readonly delay: number;
  readonly maxDelayMs: number;
}

/** Faults the orchestrators' own ports suffer (soak/service-faults.ts). */
export interface ServiceFaultRates {
  /** Share of GitHub calls that fail with 429 or 5xx; half of them after GitHub acted (the answer was lost). */
  readonly github: number;
  /** Share of appends that fail; half of them after the write (a timeout after DynamoDB stored it). */
  readonly append: number;
}

export interface SimCloudTimings {
  readonly bootDelayMs: number;
  readonly jobDurationMs: number;
  readonly idleTimeoutMs: number;
  /** How long a booted machine's agent waits for its runner config (an orchestrator may be dead meanwhile). */
  readonly configWaitMs: number;
  readonly pollIntervalMs: number;
  readonly interruptionNoticeMs: number;
  readonly capacityErrorRate: number;
  readonly throttleRate: number;
  readonly spotInterruptionRate: number;
}

export const DEFAULT_CLOUD: SimCloudTimings = {
  bootDelayMs: 300,
  jobDurationMs: 800,
  idleTimeoutMs: 8_000,
  configWaitMs: 180_000,
  pollIntervalMs: 200,
  interruptionNoticeMs: 300,
  capacityErrorRate: 0.05,
  throttleRate: 0.03,
  spotInterruptionRate: 0.03,
};

export const defaultOptions = (jobs: number, seed: number, dir: string, orchestratorEntry: string): SoakOptions => ({
  jobs,
  seed,
  orchestrators: 3,
  kills: Math.min(12, Math.max(2, Math.round(jobs / 800))),
  killPoints: { kinds: ['launch', 'decided', 'append'], armedShare: 0.6 },
  pool: { hot: 2, stopped: 2 },
  jobsPerSecond: 20,
  webhookFaults: { duplicate: 0.05, delay: 0.05, maxDelayMs: 3_000 },
  serviceFaults: { github: 0.02, append: 0.005 },
  cloud: DEFAULT_CLOUD,
  quietTimeoutMs: 90_000,
  dir,
  logLevel: 'warn',
  orchestratorEntry,
});
