import type * as t from 'io-ts';
import type { DeregisterRunner, TerminateMachines } from '../commands/commands.js';
import type {
  GhostRunnerDeleted,
  GhostRunnerFound,
  MachineOrphaned,
  MachineUnconfirmed,
} from '../events/housekeeping-events.js';
import type { MachineEvent } from '../events/machine-events.js';
import type { ManagedMachine } from '../ports/compute.js';
import type { GithubRunner } from '../ports/github.js';
import { RUNNER_UNCONFIRMED } from '../process/rules.js';
import { commandIdFor, type Cause } from '../shared/command-id.js';
import { jobStreamId, machineStreamId } from '../shared/ids.js';
import type { GhostVerdict } from './ghost-runners.js';
import type { OrphanVerdict } from './orphans.js';
import type { UnconfirmedVerdict } from './unconfirmed.js';

/**
 * The decision events and the commands they carry. A decision is appended at the version it was made on, so its
 * own version is that plus one, and its command's cause is the decision itself (DESIGN section 3): the same decision
 * always carries the same commandId, whichever orchestrator re-derives it.
 */
export const HOUSEKEEPING_INTENT = {
  unconfirmed: 'housekeeping-unconfirmed-runner',
  orphan: 'housekeeping-orphan',
  ghost: 'housekeeping-ghost-runner',
  staleJob: 'housekeeping-stale-job',
} as const;

type Deregister = t.TypeOf<typeof DeregisterRunner>;

const decisionCause = (machineId: string, observedVersion: number): Cause => ({
  streamId: machineStreamId(machineId),
  version: observedVersion + 1,
});

const terminate = (machineId: string, cause: Cause, intent: string, reason: string): TerminateMachines => ({
  type: 'TerminateMachines',
  commandId: commandIdFor(cause, intent),
  cause,
  data: { machineIds: [machineId], reason },
});

export const unconfirmedDecision = (
  verdict: Extract<UnconfirmedVerdict, { kind: 'unconfirmed' }>,
  observedVersion: number,
  runnerRegistered: boolean,
): MachineUnconfirmed => {
  const { machineId, jobId, attempt, since, minutes } = verdict;
  const cause = decisionCause(machineId, observedVersion);

  return {
    type: 'MachineUnconfirmed',
    data: {
      jobId,
      attempt,
      since,
      minutes: Math.floor(minutes),
      runnerRegistered,
      command: terminate(machineId, cause, HOUSEKEEPING_INTENT.unconfirmed, RUNNER_UNCONFIRMED),
    },
  };
};

export const orphanDecision = (
  verdict: Extract<OrphanVerdict, { kind: 'orphan' }>,
  observedVersion: number,
  cloud: ManagedMachine,
): MachineOrphaned => {
  const { machineId, reason, idleSince, minutes } = verdict;
  const cause = decisionCause(machineId, observedVersion);

  return {
    type: 'MachineOrphaned',
    data: {
      reason,
      cloudId: cloud.cloudId,
      cloudState: cloud.state,
      idleSince,
      minutes: Math.floor(minutes),
      command: terminate(machineId, cause, HOUSEKEEPING_INTENT.orphan, `orphaned: ${reason}`),
    },
  };
};

export const ghostDecision = (
  verdict: Extract<GhostVerdict, { kind: 'ghost' }>,
  observedVersion: number,
  repo: string,
  runner: GithubRunner,
): GhostRunnerFound => {
  const cause = decisionCause(verdict.machineId, observedVersion);
  // One machine, one runner name; should GitHub hold two registrations of it, each has its own command.
  const command: Deregister = {
    type: 'DeregisterRunner',
    commandId: commandIdFor(cause, `${HOUSEKEEPING_INTENT.ghost}:${runner.id}`),
    cause,
    data: { repo, runnerName: runner.name },
  };

  return {
    type: 'GhostRunnerFound',
    data: { repo, runnerId: runner.id, runnerName: runner.name, machineStatus: verdict.machineStatus, command },
  };
};

export const ghostDeleted = (found: GhostRunnerFound, note: string | null): GhostRunnerDeleted => ({
  type: 'GhostRunnerDeleted',
  data: {
    repo: found.data.repo,
    runnerId: found.data.runnerId,
    runnerName: found.data.runnerName,
    note,
    command: found.data.command,
  },
});

/** The causation id of a stale-job completion or failure: names the decision in the job stream's metadata. */
export const staleJobCausationId = (jobId: string, observedVersion: number): string =>
  commandIdFor({ streamId: jobStreamId(jobId), version: observedVersion }, HOUSEKEEPING_INTENT.staleJob);

/**
 * Record a new decision, or carry out the one already recorded: a decision is reused only when it is the LAST event of
 * its stream (nothing happened since it was made, e.g. the orchestrator died between deciding and acting). Otherwise a
 * new one is made on the state as it is now, so every act follows a decision made on exactly what it acts on.
 */
export type DecisionPlan<D extends MachineEvent> =
  { readonly kind: 'record'; readonly decision: D } | { readonly kind: 'reuse'; readonly decision: D };

export const planDecision = <D extends MachineEvent>(
  last: MachineEvent | undefined,
  fresh: D,
  sameDecision: (last: MachineEvent) => last is D,
): DecisionPlan<D> =>
  last !== undefined && sameDecision(last) ? { kind: 'reuse', decision: last } : { kind: 'record', decision: fresh };

export const isUnconfirmedFor =
  (jobId: string, attempt: number) =>
  (event: MachineEvent): event is MachineUnconfirmed =>
    event.type === 'MachineUnconfirmed' && event.data.jobId === jobId && event.data.attempt === attempt;

export const isOrphanDecision = (event: MachineEvent): event is MachineOrphaned => event.type === 'MachineOrphaned';

export const isGhostDecisionFor =
  (runnerId: number) =>
  (event: MachineEvent): event is GhostRunnerFound =>
    event.type === 'GhostRunnerFound' && event.data.runnerId === runnerId;
