import type { Either } from 'fp-ts/lib/Either.js';
import type { ProvisionCommand } from '../commands/commands.js';
import type { LaunchErrorClass } from '../events/machine-events.js';
import type { Capacity } from '../shared/codecs.js';

/**
 * The compute port: what the EC2, Kubernetes and simulated adapters offer the launch executor. Every machine an
 * adapter creates carries the commandId (a tag, a label), so `findByCommandId` can tell after a crash whether the
 * machine already exists (emulators ignore EC2's ClientToken; AWS honours it).
 */
export interface LaunchedMachine {
  readonly cloudId: string;
  readonly instanceType: string | null;
  readonly capacity: Capacity;
  readonly zone: string | null;
  readonly pricePerHour: number | null;
}

export interface LaunchFailure {
  readonly errorClass: LaunchErrorClass;
  readonly message: string;
  readonly typesTried: ReadonlyArray<string>;
}

/**
 * The cloud's own view of one machine carrying our managed tag (housekeeping compares it with the read models).
 * `machineId` is null when the machine-id tag is missing: such a machine is never judged.
 */
export interface ManagedMachine {
  readonly machineId: string | null;
  readonly cloudId: string;
  readonly state: 'pending' | 'running' | 'stopping' | 'stopped';
  /** When the cloud last launched (or started) it; null when it does not say. */
  readonly launchedAt: string | null;
}

export interface ComputePort {
  findByCommandId(commandId: string): Promise<LaunchedMachine | null>;
  launch(command: ProvisionCommand): Promise<Either<LaunchFailure, LaunchedMachine>>;
  /** Idempotent: terminating a machine that is already gone succeeds. */
  terminate(machineIds: ReadonlyArray<string>, reason: string): Promise<void>;
  /**
   * Warm-pool members only (on-demand, stop/start capable). Both act only on machines this system manages (the
   * managed tag) and are idempotent: starting a running machine or stopping a stopped one is a no-op, and a machine
   * that is gone is skipped (its end is reported as `MachineTerminated` by the lifecycle path).
   */
  start(machineIds: ReadonlyArray<string>): Promise<void>;
  stop(machineIds: ReadonlyArray<string>): Promise<void>;
  /**
   * Every live machine (not terminated or shutting down) carrying our managed tag and this deployment's own tags, as
   * the cloud sees it now: the orphan sweep's ground truth and its re-read before terminating. Optional: without it
   * housekeeping skips the orphan sweep (and judges ghost runners by our records alone).
   */
  listManaged?(): Promise<ReadonlyArray<ManagedMachine>>;
}
