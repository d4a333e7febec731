import type { JobState } from '../job/job-state.js';
import type { MachineState } from '../machine/machine-state.js';
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
}

export interface ProcessViews {
  job(jobId: string): JobState | undefined;
  machine(machineId: string): MachineState | undefined;
  /** Which job a machine's runner took, if any. */
  runnerUse(machineId: string): RunnerUse | undefined;
  readonly breaker: BreakerState;
  readonly settings: ProcessSettings;
}

export interface EntityIndex {
  jobIds(): Iterable<string>;
  machineIds(): Iterable<string>;
}
