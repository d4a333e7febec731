import type { JobState } from '../job/job-state.js';
import type { MachineState } from '../machine/machine-state.js';
import type { PoolState } from '../pool/pool-state.js';
import type { BreakerState } from '../spot/circuit-breaker.js';
import type { Backend } from '../shared/codecs.js';
import type { Cause } from '../shared/command-id.js';

/**
 * What the orchestration process reads to decide across streams (DESIGN section 3: consistency across streams comes
 * from the process reacting). The read models in projections/ implement it; the process never sees how they are kept.
 */
export interface RunnerUse {
  /** The job GitHub gave this runner, whichever job the machine was launched for (dispatch is label-matched). */
  readonly jobId: string;
  /** The `JobStarted` event that told us. */
  readonly cause: Cause;
}

export interface ProcessSettings {
  /** Where jobs whose label names no `backend=` run. */
  readonly defaultBackend: Backend;
  /**
   * Where a job goes when its runner pod cannot be scheduled: EC2 when both backends are configured; absent or null,
   * such a job fails visibly with the scheduler's reason.
   */
  readonly fallbackBackend?: Backend | null;
}

/** A warm-pool member claimed for a job attempt (`MachineClaimed`), indexed by job. */
export interface PoolClaimRef {
  readonly attempt: number;
  readonly machineId: string;
}

export interface ProcessViews {
  job(jobId: string): JobState | undefined;
  /** With its stream version: a claim records the version it observed. */
  machine(machineId: string): (MachineState & { readonly version: number }) | undefined;
  /** Which job a machine's runner took, if any. */
  runnerUse(machineId: string): RunnerUse | undefined;
  /** Optional so views built for one purpose (a test, a single pod) need not know pools: no pool, no claim. */
  pool?(name: string): PoolState | undefined;
  /** The member claimed for the job's latest claimed attempt, if any. */
  poolClaim?(jobId: string): PoolClaimRef | undefined;
  readonly breaker: BreakerState;
  readonly settings: ProcessSettings;
}

export interface EntityIndex {
  jobIds(): Iterable<string>;
  machineIds(): Iterable<string>;
  poolNames?(): Iterable<string>;
}
