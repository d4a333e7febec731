import type { JobSpec } from '../labels/job-spec.js';
import type { Capacity } from '../shared/codecs.js';
import type { JobEvent } from '../events/job-events.js';

/**
 * The state of one job, folded from its own stream only. `evolve` never fails on recorded history: an event that makes
 * no sense in the current state (a duplicate, a late report) leaves what it cannot change untouched.
 */

export type JobStatus =
  'unknown' | 'queued' | 'provisioning' | 'assigned' | 'running' | 'completed' | 'cancelled' | 'rejected' | 'failed';

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'cancelled', 'rejected', 'failed']);
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.has(status);

export interface JobState {
  readonly status: JobStatus;
  /** Whether GitHub's `queued` was recorded; it may arrive after `in_progress` or `completed`. */
  readonly queuedSeen: boolean;
  readonly jobId: string | null;
  readonly runId: string | null;
  readonly repo: string | null;
  readonly spec: JobSpec | null;
  readonly installationId: number | null;
  readonly attempt: number;
  readonly capacity: Capacity | null;
  readonly machineId: string | null;
  readonly runnerName: string | null;
  readonly ownRequeues: number;
  readonly infraRequeues: number;
  readonly runnerLost: boolean;
  readonly rerunRequested: boolean;
  readonly conclusion: string | null;
  /** A warm-pool detour happened (a claim missed, or a claimed member failed): later attempts cold-start. */
  readonly poolBypassed: boolean;
  /** A runner pod for this job could not be scheduled: later attempts go to the fallback backend (EC2). */
  readonly backendFallback: boolean;
  /** Stream versions of the events later commands are caused by: commandIds derive from them. */
  readonly requestVersion: number;
  readonly completedVersion: number;
}

export const initialJobState: JobState = {
  status: 'unknown',
  queuedSeen: false,
  jobId: null,
  runId: null,
  repo: null,
  spec: null,
  installationId: null,
  attempt: 0,
  capacity: null,
  machineId: null,
  runnerName: null,
  ownRequeues: 0,
  infraRequeues: 0,
  runnerLost: false,
  rerunRequested: false,
  conclusion: null,
  poolBypassed: false,
  backendFallback: false,
  requestVersion: 0,
  completedVersion: 0,
};

/** Reasons that are the job's own failure and spend its budget of 2 requeues. */
export const OWN_FAILURE_REASONS: ReadonlySet<string> = new Set([
  'bootstrap-failed',
  'runner-unconfirmed',
  'still-queued',
]);
export const OWN_REQUEUE_BUDGET = 2;
export const INFRA_REQUEUE_CAP = 5;

const finished = (state: JobState, status: JobStatus): JobStatus => (isTerminal(state.status) ? state.status : status);

/** `version` is the event's version in the job stream. */
export const evolveJob = (state: JobState, event: JobEvent, version: number): JobState => {
  switch (event.type) {
    case 'JobQueued': {
      const d = event.data;
      const identity = { jobId: d.jobId, runId: d.runId, repo: d.repo, spec: d.spec, installationId: d.installationId };

      return { ...state, ...identity, queuedSeen: true, status: state.status === 'unknown' ? 'queued' : state.status };
    }
    case 'JobRejected':
      return { ...state, jobId: event.data.jobId, runId: event.data.runId, repo: event.data.repo, status: 'rejected' };
    case 'RunnerRequested':
      return {
        ...state,
        status: finished(state, 'provisioning'),
        attempt: event.data.attempt,
        capacity: event.data.capacity,
        machineId: null,
        requestVersion: version,
      };
    case 'RunnerAssigned':
      return {
        ...state,
        status: state.status === 'provisioning' ? 'assigned' : state.status,
        machineId: event.data.machineId,
        runnerName: event.data.runnerName,
      };
    case 'JobStarted': {
      const d = event.data;

      return {
        ...state,
        jobId: state.jobId ?? d.jobId,
        runId: state.runId ?? d.runId,
        repo: state.repo ?? d.repo,
        status: finished(state, 'running'),
        runnerName: d.runnerName ?? state.runnerName,
      };
    }
    case 'JobCompleted':
    case 'JobCancelled': {
      const d = event.data;
      const conclusion = event.type === 'JobCompleted' ? event.data.conclusion : 'cancelled';

      return {
        ...state,
        jobId: state.jobId ?? d.jobId,
        runId: state.runId ?? d.runId,
        repo: state.repo ?? d.repo,
        status: finished(state, event.type === 'JobCompleted' ? 'completed' : 'cancelled'),
        conclusion: isTerminal(state.status) ? state.conclusion : conclusion,
        completedVersion: isTerminal(state.status) ? state.completedVersion : version,
        runnerName: d.runnerName ?? state.runnerName,
      };
    }
    case 'JobRequeued': {
      const own = OWN_FAILURE_REASONS.has(event.data.reason);

      // The attempt is abandoned here, not at the RunnerRequested that follows in the same append: a consumer that
      // stops between the two must not see the old attempt as still waiting.
      return {
        ...state,
        status: finished(state, 'provisioning'),
        attempt: Math.max(state.attempt, event.data.attempt + 1),
        machineId: null,
        ownRequeues: state.ownRequeues + (own ? 1 : 0),
        infraRequeues: state.infraRequeues + (own ? 0 : 1),
        poolBypassed: state.poolBypassed || event.data.reason === 'pool-member-failed',
        backendFallback: state.backendFallback || event.data.reason === 'unschedulable',
      };
    }
    case 'PoolClaimMissed':
      return event.data.attempt === state.attempt ? { ...state, poolBypassed: true } : state;
    case 'JobRunnerLost':
      return { ...state, runnerLost: true };
    case 'JobRerunRequested':
      return { ...state, rerunRequested: true };
    case 'JobFailed':
      return { ...state, status: finished(state, 'failed') };
  }
};
