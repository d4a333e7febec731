import * as t from 'io-ts';
import { ProvisionCommand, Command } from '../commands/commands.js';
import { Capacity, nullable } from '../shared/codecs.js';
import { eventCodec } from './event-codec.js';

/**
 * Events of a machine stream (`machine#<machineId>`): an EC2 instance, a pod or a simulated machine. Outcome events
 * carry the full command they carried out, which is what `replay --diff` compares.
 */

/** The claim: the first event of the stream, appended at expected version 0, so exactly one worker launches. */
export const MachineRequested = eventCodec(
  'MachineRequested',
  t.type({ machineId: t.string, command: ProvisionCommand }),
);
export type MachineRequested = t.TypeOf<typeof MachineRequested>;

/** A later worker re-claims a launch whose first worker died before recording an outcome. */
export const MachineLaunchRetried = eventCodec('MachineLaunchRetried', t.type({ command: ProvisionCommand }));

export const MachineLaunched = eventCodec(
  'MachineLaunched',
  t.type({
    cloudId: t.string,
    instanceType: nullable(t.string),
    capacity: Capacity,
    zone: nullable(t.string),
    pricePerHour: nullable(t.number),
    /** True when the machine already existed (found by its commandId tag) instead of being created now. */
    adopted: t.boolean,
    command: ProvisionCommand,
  }),
);
export type MachineLaunched = t.TypeOf<typeof MachineLaunched>;

export const LaunchErrorClass = t.keyof({
  capacity: null,
  throttled: null,
  unauthorized: null,
  invalid: null,
  unknown: null,
});
export type LaunchErrorClass = t.TypeOf<typeof LaunchErrorClass>;

export const MachineLaunchFailed = eventCodec(
  'MachineLaunchFailed',
  t.type({
    errorClass: LaunchErrorClass,
    message: t.string,
    typesTried: t.array(t.string),
    capacity: Capacity,
    command: ProvisionCommand,
  }),
);
export type MachineLaunchFailed = t.TypeOf<typeof MachineLaunchFailed>;

export const MachineRunning = eventCodec('MachineRunning', t.type({ cloudId: t.string }));
export const MachineStopped = eventCodec('MachineStopped', t.type({ cloudId: t.string }));
export const MachineStarted = eventCodec('MachineStarted', t.type({ cloudId: t.string }));

/** The runner config (JIT) is in the runner-config store under `configRef`; the secret itself never is an event. */
export const RunnerConfigPrepared = eventCodec(
  'RunnerConfigPrepared',
  t.type({ runnerName: t.string, configRef: t.string, command: Command }),
);

export const RunnerRegistered = eventCodec(
  'RunnerRegistered',
  t.type({ runnerName: t.string, runnerId: nullable(t.number) }),
);

export const SpotInterruptionWarned = eventCodec(
  'SpotInterruptionWarned',
  t.type({ cloudId: t.string, kind: t.keyof({ 'spot-interruption': null, 'node-disruption': null }) }),
);
export type SpotInterruptionWarned = t.TypeOf<typeof SpotInterruptionWarned>;

export const MachineTerminated = eventCodec(
  'MachineTerminated',
  t.type({ cloudId: nullable(t.string), reason: t.string, command: nullable(Command) }),
);
export type MachineTerminated = t.TypeOf<typeof MachineTerminated>;

export const MachineEvent = t.union([
  MachineRequested,
  MachineLaunchRetried,
  MachineLaunched,
  MachineLaunchFailed,
  MachineRunning,
  MachineStopped,
  MachineStarted,
  RunnerConfigPrepared,
  RunnerRegistered,
  SpotInterruptionWarned,
  MachineTerminated,
]);
export type MachineEvent = t.TypeOf<typeof MachineEvent>;
