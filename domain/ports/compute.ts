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

export interface ComputePort {
  findByCommandId(commandId: string): Promise<LaunchedMachine | null>;
  launch(command: ProvisionCommand): Promise<Either<LaunchFailure, LaunchedMachine>>;
  /** Idempotent: terminating a machine that is already gone succeeds. */
  terminate(machineIds: ReadonlyArray<string>, reason: string): Promise<void>;
}
