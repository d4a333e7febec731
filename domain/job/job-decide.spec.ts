import * as E from 'fp-ts/lib/Either.js';
import { describe, it, expect } from 'vitest';
import { parseJobLabels } from '../labels/index.js';
import type { JobEvent } from '../events/job-events.js';
import { decideJob, type JobCommand, type JobRejection } from './job-decide.js';
import { evolveJob, initialJobState, type JobState } from './job-state.js';
import { scenario } from '../../test/world/scenario.js';

const given = scenario<JobState, JobCommand, JobEvent, JobRejection>({
  initial: initialJobState,
  evolve: evolveJob,
  decide: decideJob,
});

const ref = { jobId: '7', runId: '900', runAttempt: 1, repo: 'acme/app' };
const label = 'runs-fleet=900/cpu=4/arch=arm64';
const spec = (l: string) => {
  const parsed = parseJobLabels([l], []);
  if (E.isLeft(parsed)) throw new Error(parsed.left.message);

  return parsed.right;
};
const queue = (l = label): JobCommand => ({
  type: 'QueueJob',
  data: {
    ...ref,
    workflowName: 'ci',
    jobName: 'build',
    labels: [l],
    parsed: parseJobLabels([l], []),
    installationId: 1,
    queuedAt: null,
  },
});
const queued: JobEvent = {
  type: 'JobQueued',
  data: {
    ...ref,
    workflowName: 'ci',
    jobName: 'build',
    labels: [label],
    spec: spec(label),
    installationId: 1,
    queuedAt: null,
  },
};
const requested = (attempt: number, capacity: 'spot' | 'on-demand' = 'spot'): JobEvent => ({
  type: 'RunnerRequested',
  data: { attempt, capacity },
});
const started: JobEvent = {
  type: 'JobStarted',
  data: { ...ref, runnerName: 'runs-fleet-x', runnerId: null, startedAt: null },
};
const requeueCmd = (attempt: number, reason: 'still-queued' | 'spot-interruption' | 'launch-capacity'): JobCommand => ({
  type: 'RequeueJob',
  commandId: 'c',
  cause: { streamId: 'machine#m', version: 3 },
  data: { jobId: '7', attempt, reason, machineId: null, detail: '' },
});
const requeued = (attempt: number, reason: 'still-queued' | 'spot-interruption' | 'launch-capacity'): JobEvent[] => [
  { type: 'JobRequeued', data: { attempt, reason, machineId: null, detail: '' } },
  requested(attempt + 1, 'on-demand'),
];

describe('job decider', () => {
  describe('when nothing was recorded', () => {
    it('queues a job and requests a spot runner for attempt 1', () =>
      given([])
        .when(queue())
        .then([queued, requested(1)]));

    it('requests on-demand when the label says spot=false', () =>
      given([])
        .when(queue('runs-fleet/cpu=2/spot=false'))
        .thenMatches((events) => expect(events[1]).toEqual(requested(1, 'on-demand'))));

    it('records a rejection users can read when the labels are invalid', () =>
      given([])
        .when(queue('runs-fleet/cpu=abc'))
        .thenMatches((events) => {
          expect(events).toHaveLength(1);
          expect(events[0]?.type).toBe('JobRejected');
          expect(JSON.stringify(events[0])).toContain('cpu=abc');
        }));
  });

  describe('when GitHub delivers out of order or twice', () => {
    it('ignores a duplicate queued', () =>
      given([queued, requested(1)])
        .when(queue())
        .thenNothingHappened());

    it('records a late queued after completed, without asking for a runner', () => {
      const completed: JobEvent = {
        type: 'JobCompleted',
        data: { ...ref, conclusion: 'success', runnerName: null, completedAt: null },
      };
      given([completed]).when(queue()).then([queued]);
      const state = [completed, queued].reduce((s, e, i) => evolveJob(s, e, i + 1), initialJobState);
      expect(state.status).toBe('completed');
    });

    it('maps a cancelled conclusion to JobCancelled', () =>
      given([queued, requested(1)])
        .when({ type: 'CompleteJob', data: { ...ref, conclusion: 'cancelled', runnerName: null, completedAt: null } })
        .then([{ type: 'JobCancelled', data: { ...ref, runnerName: null, completedAt: null } }]));

    it('ignores a second completion', () => {
      const done: JobEvent = {
        type: 'JobCompleted',
        data: { ...ref, conclusion: 'success', runnerName: null, completedAt: null },
      };
      given([queued, requested(1), done])
        .when({ type: 'CompleteJob', data: { ...ref, conclusion: 'failure', runnerName: null, completedAt: null } })
        .thenNothingHappened();
    });
  });

  describe('requeue budgets (DESIGN section 3)', () => {
    it('requeues its own failure on-demand with the next attempt', () =>
      given([queued, requested(1)])
        .when(requeueCmd(1, 'still-queued'))
        .then(requeued(1, 'still-queued')));

    it('fails the job once its own budget of 2 is spent', () =>
      given([queued, requested(1), ...requeued(1, 'still-queued'), ...requeued(2, 'still-queued')])
        .when(requeueCmd(3, 'still-queued'))
        .thenMatches((events) => expect(events.map((e) => e.type)).toEqual(['JobFailed'])));

    it('does not spend the budget on infrastructure losses, but caps them at 5', () => {
      const history = [queued, requested(1), ...[1, 2, 3, 4, 5].flatMap((a) => requeued(a, 'spot-interruption'))];
      given(history.slice(0, 2 + 2 * 4))
        .when(requeueCmd(5, 'spot-interruption'))
        .thenMatches((events) => expect(events.map((e) => e.type)).toEqual(['JobRequeued', 'RunnerRequested']));
      given(history)
        .when(requeueCmd(6, 'spot-interruption'))
        .thenMatches((events) => expect(events.map((e) => e.type)).toEqual(['JobFailed']));
    });

    it('SPEC lesson 5: a report about an older attempt cannot clobber a newer one', () =>
      given([queued, requested(1), ...requeued(1, 'still-queued')])
        .when(requeueCmd(1, 'spot-interruption'))
        .thenNothingHappened());

    it('marks the runner lost, instead of requeueing, when the job was already running', () =>
      given([queued, requested(1), started])
        .when(requeueCmd(1, 'spot-interruption'))
        .then([{ type: 'JobRunnerLost', data: { attempt: 1, reason: 'spot-interruption', machineId: null } }]));
  });

  describe('assignment', () => {
    const assign = (attempt: number, machineId = 'm1'): JobCommand => ({
      type: 'AssignRunner',
      commandId: 'c',
      cause: { streamId: 'machine#m1', version: 2 },
      data: { jobId: '7', attempt, machineId, runnerName: 'runs-fleet-m1' },
    });

    it('assigns the launched machine to the waiting attempt', () =>
      given([queued, requested(1)])
        .when(assign(1))
        .then([
          {
            type: 'RunnerAssigned',
            data: { attempt: 1, machineId: 'm1', runnerName: 'runs-fleet-m1', source: 'cold-start' },
          },
        ]));

    it('ignores a machine launched for an abandoned attempt', () =>
      given([queued, requested(1), ...requeued(1, 'launch-capacity')])
        .when(assign(1))
        .thenNothingHappened());

    it('refuses a machine for a job that is already running', () =>
      given([queued, requested(1), started])
        .when(assign(1))
        .thenRejected((r) => r.code === 'job.not-provisioning'));
  });
});
