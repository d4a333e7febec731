import * as t from 'io-ts';
import { JobSpec } from '../labels/job-spec.js';
import { Capacity, nullable } from '../shared/codecs.js';
import { eventCodec } from './event-codec.js';

/**
 * Events of a job stream (`job#<githubJobId>`). Identity fields (repo, run) travel on every webhook-born event, because
 * GitHub delivers out of order: an `in_progress` may be the first thing we ever hear of a job.
 */

const JobRef = {
  jobId: t.string,
  runId: t.string,
  runAttempt: t.number,
  repo: t.string,
};

export const JobQueued = eventCodec(
  'JobQueued',
  t.type({
    ...JobRef,
    workflowName: nullable(t.string),
    jobName: nullable(t.string),
    labels: t.array(t.string),
    spec: JobSpec,
    installationId: nullable(t.number),
    /** GitHub's own `created_at`, for wait-time figures measured on GitHub's clock. */
    queuedAt: nullable(t.string),
  }),
);
export type JobQueued = t.TypeOf<typeof JobQueued>;

export const RejectionCode = t.keyof({ 'invalid-label': null, 'no-matching-instance-types': null, 'not-ours': null });

/** Recorded so the user can see why nothing started; foreign jobs are never recorded at all. */
export const JobRejected = eventCodec(
  'JobRejected',
  t.type({ ...JobRef, labels: t.array(t.string), code: RejectionCode, message: t.string }),
);
export type JobRejected = t.TypeOf<typeof JobRejected>;

/** The decision to give attempt N a runner; the machine id derives from this event's stream and version. */
export const RunnerRequested = eventCodec('RunnerRequested', t.type({ attempt: t.number, capacity: Capacity }));
export type RunnerRequested = t.TypeOf<typeof RunnerRequested>;

export const AssignmentSource = t.keyof({ 'cold-start': null, 'warm-pool': null });

export const RunnerAssigned = eventCodec(
  'RunnerAssigned',
  t.type({ attempt: t.number, machineId: t.string, runnerName: t.string, source: AssignmentSource }),
);
export type RunnerAssigned = t.TypeOf<typeof RunnerAssigned>;

export const JobStarted = eventCodec(
  'JobStarted',
  t.type({ ...JobRef, runnerName: nullable(t.string), runnerId: nullable(t.number), startedAt: nullable(t.string) }),
);
export type JobStarted = t.TypeOf<typeof JobStarted>;

export const JobCompleted = eventCodec(
  'JobCompleted',
  t.type({ ...JobRef, conclusion: t.string, runnerName: nullable(t.string), completedAt: nullable(t.string) }),
);
export type JobCompleted = t.TypeOf<typeof JobCompleted>;

export const JobCancelled = eventCodec(
  'JobCancelled',
  t.type({ ...JobRef, runnerName: nullable(t.string), completedAt: nullable(t.string) }),
);
export type JobCancelled = t.TypeOf<typeof JobCancelled>;

/**
 * Why an attempt is abandoned. The job's own failures spend its budget of 2; infrastructure losses do not, but are
 * capped at 5 per job (DESIGN section 3).
 */
export const RequeueReason = t.keyof({
  'bootstrap-failed': null,
  'runner-unconfirmed': null,
  'still-queued': null,
  'spot-interruption': null,
  'node-disruption': null,
  'launch-capacity': null,
  'launch-throttled': null,
  'runner-taken': null,
  'machine-lost': null,
  /** A claimed warm-pool member could not serve (its start failed, or it ended before its runner started). */
  'pool-member-failed': null,
  /** No Kubernetes node could fit the runner pod in time: the job moves to the fallback backend (EC2). */
  unschedulable: null,
});
export type RequeueReason = t.TypeOf<typeof RequeueReason>;

export const JobRequeued = eventCodec(
  'JobRequeued',
  t.type({ attempt: t.number, reason: RequeueReason, machineId: nullable(t.string), detail: t.string }),
);
export type JobRequeued = t.TypeOf<typeof JobRequeued>;

/** The machine running the job was lost mid-run: GitHub will conclude the job, and a failure earns one re-run. */
export const JobRunnerLost = eventCodec(
  'JobRunnerLost',
  t.type({ attempt: t.number, reason: RequeueReason, machineId: nullable(t.string) }),
);
export type JobRunnerLost = t.TypeOf<typeof JobRunnerLost>;

/** Outcome of the `RerunJob` command: GitHub accepted the re-run request. */
export const JobRerunRequested = eventCodec('JobRerunRequested', t.type({ commandId: t.string }));
export type JobRerunRequested = t.TypeOf<typeof JobRerunRequested>;

export const FailureReason = t.keyof({
  'budget-exhausted': null,
  'launch-refused': null,
  'no-capacity': null,
  /** Housekeeping asked GitHub about a job that stayed without news: GitHub no longer knows it. */
  'gone-at-github': null,
  /** No Kubernetes node could fit the runner pod in time, and no other backend is configured. */
  unschedulable: null,
});
export type FailureReason = t.TypeOf<typeof FailureReason>;

/** We could not provide a runner. */
export const JobFailed = eventCodec(
  'JobFailed',
  t.type({ attempt: t.number, reason: FailureReason, message: t.string }),
);
export type JobFailed = t.TypeOf<typeof JobFailed>;

/**
 * The attempt's warm-pool claim lost (another job claimed the member first, or it was being stopped): a visible
 * detour, after which the attempt cold-starts.
 */
export const PoolClaimMissed = eventCodec(
  'PoolClaimMissed',
  t.type({ attempt: t.number, machineId: t.string, pool: t.string, reason: t.string }),
);
export type PoolClaimMissed = t.TypeOf<typeof PoolClaimMissed>;

export const JobEvent = t.union([
  JobQueued,
  JobRejected,
  RunnerRequested,
  RunnerAssigned,
  JobStarted,
  JobCompleted,
  JobCancelled,
  JobRequeued,
  JobRunnerLost,
  JobRerunRequested,
  JobFailed,
  PoolClaimMissed,
]);
export type JobEvent = t.TypeOf<typeof JobEvent>;
