import type { MachineEvent } from '../events/machine-events.js';
import type { Command, ProvisionCommand } from '../commands/commands.js';
import type { Capacity } from '../shared/codecs.js';

/** The state of one machine, folded from its own stream. */

export type MachineStatus = 'unknown' | 'requested' | 'launched' | 'running' | 'stopped' | 'terminated' | 'failed';

export interface MachineState {
  readonly status: MachineStatus;
  readonly machineId: string | null;
  readonly launch: ProvisionCommand | null;
  readonly launchAttempts: number;
  readonly cloudId: string | null;
  readonly instanceType: string | null;
  readonly capacity: Capacity | null;
  readonly zone: string | null;
  readonly configPrepared: boolean;
  readonly runnerRegistered: boolean;
  readonly interrupted: boolean;
  readonly terminationReason: string | null;
  /** The job attempt a cold-start machine was launched for (null for a pool member not yet claimed). */
  readonly jobId: string | null;
  readonly attempt: number | null;
  readonly runnerName: string | null;
  readonly failure: { readonly errorClass: string; readonly message: string } | null;
  /** Stream versions of the events later commands are caused by. */
  readonly requestedVersion: number;
  readonly launchedVersion: number;
  readonly failedVersion: number;
  readonly interruptedVersion: number;
  readonly interruptionKind: 'spot-interruption' | 'node-disruption' | null;
  readonly terminatedVersion: number;
  /** A runner pod no node could fit past the deadline (`MachineUnschedulable`): the scheduler's reason. */
  readonly unschedulable: { readonly message: string; readonly since: string } | null;
  readonly unschedulableVersion: number;
  /** The warm pool this machine was launched for (null: a cold start). */
  readonly pool: string | null;
  /** Set when a pool member is claimed for a job (`MachineClaimed`); the runner registers under the job's label. */
  readonly claim: { readonly label: string; readonly repo: string | null } | null;
  readonly claimedVersion: number;
  /** A pool stop or terminate fenced this member before acting (`MachineRetiring`); no claim may win then. */
  readonly retiring: { readonly action: 'stop' | 'terminate'; readonly command: Command } | null;
  readonly startFailed: boolean;
  readonly startFailedVersion: number;
}

export const initialMachineState: MachineState = {
  status: 'unknown',
  machineId: null,
  launch: null,
  launchAttempts: 0,
  cloudId: null,
  instanceType: null,
  capacity: null,
  zone: null,
  configPrepared: false,
  runnerRegistered: false,
  interrupted: false,
  terminationReason: null,
  jobId: null,
  attempt: null,
  runnerName: null,
  failure: null,
  requestedVersion: 0,
  launchedVersion: 0,
  failedVersion: 0,
  interruptedVersion: 0,
  interruptionKind: null,
  terminatedVersion: 0,
  unschedulable: null,
  unschedulableVersion: 0,
  pool: null,
  claim: null,
  claimedVersion: 0,
  retiring: null,
  startFailed: false,
  startFailedVersion: 0,
};

const unlessTerminated = (state: MachineState, status: MachineStatus): MachineStatus =>
  state.status === 'terminated' || state.status === 'failed' ? state.status : status;

/** `version` is the event's version in the machine stream. */
export const evolveMachine = (state: MachineState, event: MachineEvent, version: number): MachineState => {
  switch (event.type) {
    case 'MachineRequested': {
      const request = event.data.command.data.request;

      return {
        ...state,
        status: unlessTerminated(state, 'requested'),
        machineId: event.data.machineId,
        launch: event.data.command,
        launchAttempts: 1,
        jobId: request.jobId,
        attempt: request.attempt,
        runnerName: request.runnerName,
        requestedVersion: version,
        pool: request.pool,
      };
    }
    case 'MachineLaunchRetried':
      return { ...state, launchAttempts: state.launchAttempts + 1 };
    case 'MachineLaunched': {
      const d = event.data;
      const status = state.status === 'requested' ? 'launched' : state.status;

      const placed = { cloudId: d.cloudId, instanceType: d.instanceType, capacity: d.capacity, zone: d.zone };

      return { ...state, ...placed, status, launchedVersion: version };
    }
    case 'MachineLaunchFailed': {
      const failure = { errorClass: event.data.errorClass, message: event.data.message };

      return { ...state, status: unlessTerminated(state, 'failed'), failure, failedVersion: version };
    }
    case 'MachineRunning':
    case 'MachineStarted': {
      const retiring = state.retiring?.action === 'stop' ? null : state.retiring;
      const status = unlessTerminated(state, 'running');

      return { ...state, status, cloudId: state.cloudId ?? event.data.cloudId, retiring, startFailed: false };
    }
    case 'MachineStopped': {
      const retiring = state.retiring?.action === 'stop' ? null : state.retiring;

      return { ...state, status: unlessTerminated(state, 'stopped'), retiring };
    }
    case 'MachineClaimed': {
      if (state.claimedVersion > 0) return state;
      const { jobId, attempt, runnerName, label, repo } = event.data;

      return { ...state, jobId, attempt, runnerName, claim: { label, repo }, claimedVersion: version };
    }
    case 'MachineRetiring':
      return state.retiring?.action === 'terminate'
        ? state
        : { ...state, retiring: { action: event.data.action, command: event.data.command } };
    case 'MachineStartFailed':
      return { ...state, startFailed: true, startFailedVersion: version };
    case 'RunnerConfigPrepared':
      return { ...state, configPrepared: true };
    case 'RunnerRegistered':
      return { ...state, runnerRegistered: true };
    case 'SpotInterruptionWarned':
      if (state.interrupted) return state;

      return { ...state, interrupted: true, interruptedVersion: version, interruptionKind: event.data.kind };
    case 'MachineUnschedulable':
      if (state.unschedulable !== null) return state;

      return {
        ...state,
        unschedulable: { message: event.data.message, since: event.data.since },
        unschedulableVersion: version,
      };
    // Housekeeping decisions change nothing here: what they do is recorded by the outcome events that follow.
    case 'MachineUnconfirmed':
    case 'MachineOrphaned':
    case 'GhostRunnerFound':
    case 'GhostRunnerDeleted':
      return state;
    case 'MachineTerminated':
      if (state.status === 'terminated') return state;

      return { ...state, status: 'terminated', terminationReason: event.data.reason, terminatedVersion: version };
  }
};

/** A warm-pool member nobody has claimed, not fenced for a stop or terminate, in a state a job can use. */
export const isClaimable = (state: MachineState): boolean =>
  state.pool !== null &&
  !(state.claimedVersion > 0) &&
  state.jobId === null &&
  (state.retiring ?? null) === null &&
  !state.startFailed &&
  (state.status === 'launched' || state.status === 'running' || state.status === 'stopped');

/**
 * Whether a launch has a recorded outcome (launched or failed), or the machine ended before one was: the executor's
 * and `resume`'s shared test. Not the status: a lifecycle report (`MachineRunning`) can land between the cloud's answer
 * and the executor's record, and a member without `MachineLaunched` has no boot time, so no scale-down guard passes.
 */
export const launchSettled = (state: MachineState): boolean =>
  state.launchedVersion > 0 || state.failedVersion > 0 || state.status === 'terminated';
