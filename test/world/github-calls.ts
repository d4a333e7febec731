import type { MemoryEventStore } from '../../adapters/store-memory/index.js';
import type { JobCommand } from '../../domain/job/job-decide.js';
import { parseJobLabels } from '../../domain/labels/index.js';
import { jobStreamId } from '../../domain/shared/ids.js';
import { decideAndAppend } from '../../handlers/app/decide-and-append.js';
import { jobDecider } from '../../handlers/app/deciders.js';

export interface JobInput {
  readonly jobId: string;
  readonly labels: ReadonlyArray<string>;
  readonly repo?: string;
  readonly runId?: string;
}

export interface GithubCalls {
  queued(job: JobInput): Promise<void>;
  started(job: JobInput, runnerName: string | null): Promise<void>;
  completed(job: JobInput, conclusion: string, runnerName?: string | null): Promise<void>;
}

const ref = (job: JobInput) => ({
  jobId: job.jobId,
  runId: job.runId ?? '9000',
  runAttempt: 1,
  repo: job.repo ?? 'acme/widgets',
});

/** What GitHub's workflow_job webhooks do to a job stream, as the in-process worlds call it (no HTTP). */
export const githubCalls = (store: MemoryEventStore, at: () => string): GithubCalls => {
  const onJob = async (job: JobInput, command: JobCommand) => {
    await decideAndAppend(store, jobDecider, jobStreamId(job.jobId), command, {
      at: at(),
      deliveryId: `d-${job.jobId}`,
    });
  };

  return {
    queued: (job) =>
      onJob(job, {
        type: 'QueueJob',
        data: {
          ...ref(job),
          workflowName: 'ci',
          jobName: `job-${job.jobId}`,
          labels: job.labels,
          parsed: parseJobLabels(job.labels, []),
          installationId: 42,
          queuedAt: at(),
        },
      }),
    started: (job, runnerName) =>
      onJob(job, { type: 'StartJob', data: { ...ref(job), runnerName, runnerId: null, startedAt: at() } }),
    completed: (job, conclusion, runnerName = null) =>
      onJob(job, { type: 'CompleteJob', data: { ...ref(job), conclusion, runnerName, completedAt: at() } }),
  };
};
