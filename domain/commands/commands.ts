import * as t from 'io-ts';
import { LaunchRequest } from '../machine/launch-request.js';
import { AssignmentSource, RequeueReason, FailureReason } from '../events/job-events.js';
import { CauseRef, nullable } from '../shared/codecs.js';

/**
 * Commands: imperative, each with a deterministic commandId (a hash of its cause and intent) and its cause, so an
 * outcome can always be traced back to the event that asked for it.
 */
const commandCodec = <T extends string, D extends t.Mixed>(type: T, data: D) =>
  t.type({ type: t.literal(type), commandId: t.string, cause: CauseRef, data }, type);

// Carried out by the compute adapters (EC2, Kubernetes, the simulation).
export const LaunchMachine = commandCodec('LaunchMachine', t.type({ machineId: t.string, request: LaunchRequest }));
export type LaunchMachine = t.TypeOf<typeof LaunchMachine>;

const MachineIds = t.type({ machineIds: t.array(t.string), reason: t.string });
export const StartMachines = commandCodec('StartMachines', MachineIds);
export type StartMachines = t.TypeOf<typeof StartMachines>;
export const StopMachines = commandCodec('StopMachines', MachineIds);
export type StopMachines = t.TypeOf<typeof StopMachines>;
export const TerminateMachines = commandCodec('TerminateMachines', MachineIds);
export type TerminateMachines = t.TypeOf<typeof TerminateMachines>;

export const CreateRunnerPod = commandCodec('CreateRunnerPod', t.type({ machineId: t.string, request: LaunchRequest }));
export type CreateRunnerPod = t.TypeOf<typeof CreateRunnerPod>;
/** A command that brings a machine into being: an EC2 instance (or a simulated one), or a runner pod. */
export const ProvisionCommand = t.union([LaunchMachine, CreateRunnerPod]);
export type ProvisionCommand = t.TypeOf<typeof ProvisionCommand>;
export const DeleteRunnerPod = commandCodec('DeleteRunnerPod', t.type({ machineId: t.string, reason: t.string }));

// Carried out by the GitHub adapter.
export const PrepareRunnerConfig = commandCodec(
  'PrepareRunnerConfig',
  t.type({
    machineId: t.string,
    jobId: nullable(t.string),
    repo: nullable(t.string),
    label: t.string,
    runnerName: t.string,
    installationId: nullable(t.number),
  }),
);
export type PrepareRunnerConfig = t.TypeOf<typeof PrepareRunnerConfig>;
export const RerunJob = commandCodec('RerunJob', t.type({ jobId: t.string, repo: t.string }));
export type RerunJob = t.TypeOf<typeof RerunJob>;
export const DeregisterRunner = commandCodec('DeregisterRunner', t.type({ repo: t.string, runnerName: t.string }));

// Carried out by the job decider (a conditional append to the job stream).
export const AssignRunner = commandCodec(
  'AssignRunner',
  t.intersection([
    t.type({ jobId: t.string, attempt: t.number, machineId: t.string, runnerName: t.string }),
    // Absent in commands recorded before warm pools: a cold start.
    t.partial({ source: AssignmentSource }),
  ]),
);
export type AssignRunner = t.TypeOf<typeof AssignRunner>;
export const RequeueJob = commandCodec(
  'RequeueJob',
  t.type({
    jobId: t.string,
    attempt: t.number,
    reason: RequeueReason,
    machineId: nullable(t.string),
    detail: t.string,
  }),
);
export type RequeueJob = t.TypeOf<typeof RequeueJob>;
export const FailJob = commandCodec(
  'FailJob',
  t.type({ jobId: t.string, attempt: t.number, reason: FailureReason, message: t.string }),
);
export type FailJob = t.TypeOf<typeof FailJob>;

/**
 * Carried out by a conditional append of `MachineClaimed` to the member's stream: one winner under concurrency. The
 * member and its version are what the launch rule observed (for replay); the executor decides on its own fresh read.
 */
export const ClaimPoolMember = commandCodec(
  'ClaimPoolMember',
  t.type({
    jobId: t.string,
    attempt: t.number,
    machineId: t.string,
    expectedVersion: t.number,
    pool: t.string,
    label: t.string,
    repo: nullable(t.string),
  }),
);
export type ClaimPoolMember = t.TypeOf<typeof ClaimPoolMember>;

export const Command = t.union([
  LaunchMachine,
  StartMachines,
  StopMachines,
  TerminateMachines,
  CreateRunnerPod,
  DeleteRunnerPod,
  PrepareRunnerConfig,
  RerunJob,
  DeregisterRunner,
  AssignRunner,
  RequeueJob,
  FailJob,
  ClaimPoolMember,
]);
export type Command = t.TypeOf<typeof Command>;
export type CommandType = Command['type'];

/** The stream whose events record a command's claim and outcome: what SQS FIFO groups by. */
export const commandTarget = (command: Command): string => {
  switch (command.type) {
    case 'LaunchMachine':
    case 'CreateRunnerPod':
    case 'DeleteRunnerPod':
    case 'PrepareRunnerConfig':
    case 'ClaimPoolMember':
      return `machine#${command.data.machineId}`;
    case 'StartMachines':
    case 'StopMachines':
    case 'TerminateMachines':
      return `machine#${command.data.machineIds[0] ?? ''}`;
    case 'RerunJob':
    case 'AssignRunner':
    case 'RequeueJob':
    case 'FailJob':
      return `job#${command.data.jobId}`;
    case 'DeregisterRunner':
      return `runner#${command.data.runnerName}`;
  }
};
