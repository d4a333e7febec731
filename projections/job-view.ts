import type { Envelope } from '../domain/events/domain-event.js';
import type { JobEvent } from '../domain/events/job-events.js';
import { evolveJob, initialJobState, type JobState } from '../domain/job/job-state.js';

/**
 * JobView: the job's state plus when each step happened (stored times, for the latency breakdown users see), and
 * the last version applied from its stream.
 */
export interface JobTimes {
  readonly queuedAt: string | null;
  readonly runnerRequestedAt: string | null;
  readonly assignedAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly updatedAt: string | null;
}

export interface JobView extends JobState {
  readonly version: number;
  readonly times: JobTimes;
  readonly rejection: { readonly code: string; readonly message: string } | null;
  readonly failure: { readonly reason: string; readonly message: string } | null;
  readonly requeues: ReadonlyArray<{ readonly attempt: number; readonly reason: string; readonly detail: string }>;
}

export const initialJobView: JobView = {
  ...initialJobState,
  version: 0,
  times: {
    queuedAt: null,
    runnerRequestedAt: null,
    assignedAt: null,
    startedAt: null,
    finishedAt: null,
    updatedAt: null,
  },
  rejection: null,
  failure: null,
  requeues: [],
};

const stamp = (times: JobTimes, event: JobEvent, at: string): JobTimes => {
  switch (event.type) {
    case 'JobQueued':
    case 'JobRejected':
      return { ...times, queuedAt: times.queuedAt ?? at, updatedAt: at };
    case 'RunnerRequested':
      return { ...times, runnerRequestedAt: times.runnerRequestedAt ?? at, updatedAt: at };
    case 'RunnerAssigned':
      return { ...times, assignedAt: at, updatedAt: at };
    case 'JobStarted':
      return { ...times, startedAt: times.startedAt ?? at, updatedAt: at };
    case 'JobCompleted':
    case 'JobCancelled':
    case 'JobFailed':
      return { ...times, finishedAt: times.finishedAt ?? at, updatedAt: at };
    default:
      return { ...times, updatedAt: at };
  }
};

const details = (view: JobView, event: JobEvent): Partial<JobView> => {
  switch (event.type) {
    case 'JobRejected':
      return { rejection: { code: event.data.code, message: event.data.message } };
    case 'JobFailed':
      return { failure: { reason: event.data.reason, message: event.data.message } };
    case 'JobRequeued': {
      const { attempt, reason, detail } = event.data;

      return { requeues: [...view.requeues, { attempt, reason, detail }] };
    }
    default:
      return {};
  }
};

/** Pure: the caller has already checked that `envelope.version === view.version + 1`. */
export const evolveJobView = (view: JobView, envelope: Envelope<JobEvent>): JobView => ({
  ...view,
  ...evolveJob(view, envelope.event, envelope.version),
  ...details(view, envelope.event),
  version: envelope.version,
  times: stamp(view.times, envelope.event, envelope.metadata.at),
});
