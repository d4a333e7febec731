import * as t from 'io-ts';
import { ProvisionCommand, Command } from '../commands/commands.js';
import { Capacity, nullable } from '../shared/codecs.js';
import { eventCodec } from './event-codec.js';
import { GhostRunnerDeleted, GhostRunnerFound, MachineOrphaned, MachineUnconfirmed } from './housekeeping-events.js';

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

/**
 * A runner pod the scheduler could not place for longer than the deadline (no node fits it): `since` is when the
 * scheduler first said so, `message` its reason. Its job moves to the fallback backend, or fails visibly.
 */
export const MachineUnschedulable = eventCodec(
  'MachineUnschedulable',
  t.type({ cloudId: t.string, message: t.string, since: t.string }),
);
export type MachineUnschedulable = t.TypeOf<typeof MachineUnschedulable>;

export const MachineTerminated = eventCodec(
  'MachineTerminated',
  t.type({ cloudId: nullable(t.string), reason: t.string, command: nullable(Command) }),
);
export type MachineTerminated = t.TypeOf<typeof MachineTerminated>;

/**
 * A warm-pool member taken for one job attempt: a conditional append on the member's stream, so of concurrent claims
 * exactly one wins, with no lease to expire (DESIGN section 3). The runner registers under the job's own label
 * (SPEC lesson 2), not the pool's. Members are single-use: after the job the member ends like a cold-start machine.
 */
export const MachineClaimed = eventCodec(
  'MachineClaimed',
  t.type({
    jobId: t.string,
    attempt: t.number,
    runnerName: t.string,
    label: t.string,
    repo: nullable(t.string),
    pool: t.string,
  }),
);
export type MachineClaimed = t.TypeOf<typeof MachineClaimed>;

/**
 * The fence a pool stop or terminate puts on a member before it acts (appended at the version it read): a claim
 * decided on the older version conflicts, so a member is never stopped or terminated under a job (SPEC lesson 15).
 * A stop's fence lifts when the member is recorded stopped (or started again).
 */
export const MachineRetiring = eventCodec(
  'MachineRetiring',
  t.type({ action: t.keyof({ stop: null, terminate: null }), command: Command }),
);
export type MachineRetiring = t.TypeOf<typeof MachineRetiring>;

/** The cloud refused to start a stopped pool member; a job waiting for it is requeued to a cold start. */
export const MachineStartFailed = eventCodec('MachineStartFailed', t.type({ message: t.string, command: Command }));
export type MachineStartFailed = t.TypeOf<typeof MachineStartFailed>;

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
  MachineUnschedulable,
  MachineTerminated,
  // Housekeeping decisions about this machine (housekeeping-events.ts).
  MachineUnconfirmed,
  MachineOrphaned,
  GhostRunnerFound,
  GhostRunnerDeleted,
  MachineClaimed,
  MachineRetiring,
  MachineStartFailed,
]);
export type MachineEvent = t.TypeOf<typeof MachineEvent>;
