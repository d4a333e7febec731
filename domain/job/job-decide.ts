import * as E from 'fp-ts/lib/Either.js';
import type { JobSpec } from '../labels/job-spec.js';
import type { LabelRejection } from '../labels/rejection.js';
import type { AssignRunner, FailJob, RequeueJob } from '../commands/commands.js';
import type { JobEvent, RequeueReason } from '../events/job-events.js';
import type { Capacity } from '../shared/codecs.js';
import { INFRA_REQUEUE_CAP, isTerminal, OWN_FAILURE_REASONS, OWN_REQUEUE_BUDGET, type JobState } from './job-state.js';

/**
 * The job decider: pure and total. A repeated or stale command returns `right([])` (idempotent, SPEC lesson 5: a
 * report about an older attempt cannot clobber a newer one); a transition the job cannot make is a `left`.
 */

export interface JobRefInput {
  readonly jobId: string;
  readonly runId: string;
  readonly runAttempt: number;
  readonly repo: string;
}

export interface QueueJob {
  readonly type: 'QueueJob';
  readonly data: JobRefInput & {
    readonly workflowName: string | null;
    readonly jobName: string | null;
    readonly labels: ReadonlyArray<string>;
    readonly parsed: E.Either<LabelRejection, JobSpec>;
    readonly installationId: number | null;
    readonly queuedAt: string | null;
  };
}

export interface StartJob {
  readonly type: 'StartJob';
  readonly data: JobRefInput & {
    readonly runnerName: string | null;
    readonly runnerId: number | null;
    readonly startedAt: string | null;
  };
}

export interface CompleteJob {
  readonly type: 'CompleteJob';
  readonly data: JobRefInput & {
    readonly conclusion: string;
    readonly runnerName: string | null;
    readonly completedAt: string | null;
  };
}

export type JobCommand = QueueJob | StartJob | CompleteJob | AssignRunner | RequeueJob | FailJob;

export interface JobRejection {
  readonly code: 'job.not-provisioning' | 'job.terminal';
  readonly message: string;
}

type Decision = E.Either<JobRejection, ReadonlyArray<JobEvent>>;
const nothing: Decision = E.right([]);

const queue = (cmd: QueueJob, state: JobState): Decision => {
  if (state.queuedSeen || state.status === 'rejected') return nothing;
  const { parsed, ...d } = cmd.data;
  const ref = { jobId: d.jobId, runId: d.runId, runAttempt: d.runAttempt, repo: d.repo };
  if (E.isLeft(parsed)) {
    const { code, message } = parsed.left;
    if (state.status !== 'unknown') return nothing;

    return E.right([{ type: 'JobRejected', data: { ...ref, labels: [...d.labels], code, message } }]);
  }
  const queued: JobEvent = {
    type: 'JobQueued',
    data: {
      ...ref,
      workflowName: d.workflowName,
      jobName: d.jobName,
      labels: [...d.labels],
      spec: parsed.right,
      installationId: d.installationId,
      queuedAt: d.queuedAt,
    },
  };
  // GitHub delivered `in_progress` or `completed` first: record the facts, but a runner is no longer needed.
  if (state.status !== 'unknown') return E.right([queued]);
  const capacity: Capacity = parsed.right.spot ? 'spot' : 'on-demand';

  return E.right([queued, { type: 'RunnerRequested', data: { attempt: 1, capacity } }]);
};

const start = (cmd: StartJob, state: JobState): Decision => {
  if (isTerminal(state.status) || state.status === 'running') return nothing;

  return E.right([{ type: 'JobStarted', data: { ...cmd.data } }]);
};

const complete = (cmd: CompleteJob, state: JobState): Decision => {
  // A job we failed to serve may still be cancelled at GitHub: worth recording; anything else terminal is final.
  if (isTerminal(state.status) && state.status !== 'failed') return nothing;
  const { conclusion, ...rest } = cmd.data;
  if (conclusion === 'cancelled') return E.right([{ type: 'JobCancelled', data: rest }]);

  return E.right([{ type: 'JobCompleted', data: { ...rest, conclusion } }]);
};

const assign = (cmd: AssignRunner, state: JobState): Decision => {
  const { attempt, machineId, runnerName } = cmd.data;
  if (attempt !== state.attempt || state.machineId === machineId) return nothing;
  if (state.status !== 'provisioning') {
    return E.left({ code: 'job.not-provisioning', message: `job is ${state.status}; machine ${machineId} not needed` });
  }

  const source = cmd.data.source ?? 'cold-start';

  return E.right([{ type: 'RunnerAssigned', data: { attempt, machineId, runnerName, source } }]);
};

const LOST_WHILE_RUNNING: ReadonlySet<RequeueReason> = new Set(['spot-interruption', 'node-disruption']);

/**
 * After a spot loss the job runs on-demand (DESIGN section 3); a runner taken by a sibling keeps its capacity, and so
 * does a job moved off Kubernetes because no node could fit its pod (that says nothing about spot capacity).
 */
const KEEPS_CAPACITY: ReadonlySet<RequeueReason> = new Set(['runner-taken', 'unschedulable']);
const nextCapacity = (reason: RequeueReason, state: JobState): Capacity =>
  KEEPS_CAPACITY.has(reason) ? (state.capacity ?? 'spot') : 'on-demand';

const requeue = (cmd: RequeueJob, state: JobState): Decision => {
  const { attempt, reason, machineId, detail } = cmd.data;
  if (attempt !== state.attempt || isTerminal(state.status)) return nothing;
  if (state.status === 'running') {
    if (!LOST_WHILE_RUNNING.has(reason) || state.runnerLost) return nothing;

    return E.right([{ type: 'JobRunnerLost', data: { attempt, reason, machineId } }]);
  }
  const own = OWN_FAILURE_REASONS.has(reason);
  const spent = own ? state.ownRequeues >= OWN_REQUEUE_BUDGET : state.infraRequeues >= INFRA_REQUEUE_CAP;
  if (spent) {
    const message = own
      ? `requeue budget of ${OWN_REQUEUE_BUDGET} spent (last: ${reason})`
      : `infrastructure requeue cap of ${INFRA_REQUEUE_CAP} reached (last: ${reason})`;

    return E.right([{ type: 'JobFailed', data: { attempt, reason: 'budget-exhausted', message } }]);
  }

  return E.right([
    { type: 'JobRequeued', data: { attempt, reason, machineId, detail } },
    { type: 'RunnerRequested', data: { attempt: attempt + 1, capacity: nextCapacity(reason, state) } },
  ]);
};

const fail = (cmd: FailJob, state: JobState): Decision => {
  const { attempt, reason, message } = cmd.data;
  if (attempt !== state.attempt || isTerminal(state.status)) return nothing;
  if (state.status === 'running') return E.left({ code: 'job.not-provisioning', message: 'job is already running' });

  return E.right([{ type: 'JobFailed', data: { attempt, reason, message } }]);
};

export const decideJob = (command: JobCommand, state: JobState): Decision => {
  switch (command.type) {
    case 'QueueJob':
      return queue(command, state);
    case 'StartJob':
      return start(command, state);
    case 'CompleteJob':
      return complete(command, state);
    case 'AssignRunner':
      return assign(command, state);
    case 'RequeueJob':
      return requeue(command, state);
    case 'FailJob':
      return fail(command, state);
  }
};
