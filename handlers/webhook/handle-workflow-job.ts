import * as E from 'fp-ts/lib/Either.js';
import type { JobCommand } from '../../domain/job/job-decide.js';
import { parseJobLabels, type AliasRule, type JobSpec, type LabelRejection } from '../../domain/labels/index.js';
import { formatValidationErrors } from '../../domain/shared/validation-errors.js';
import { jobStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { decideAndAppend, foldStream } from '../app/decide-and-append.js';
import { jobDecider } from '../app/deciders.js';
import { isHandledAction, WorkflowJobPayload } from './workflow-job-payload.js';

/**
 * What a verified webhook delivery becomes. The job's event is appended durably BEFORE the caller answers 2xx, and a
 * failed append is thrown so the caller answers 5xx and GitHub redelivers (the Go system acknowledged and lost jobs).
 */
export type WebhookOutcome =
  | { readonly kind: 'recorded'; readonly jobId: string; readonly events: ReadonlyArray<string> }
  | { readonly kind: 'duplicate'; readonly jobId: string }
  | {
      readonly kind: 'ignored';
      readonly reason: 'not-ours' | 'action' | 'event' | 'not-allowed' | 'no-change';
      readonly jobId?: string;
    }
  | { readonly kind: 'invalid'; readonly message: string };

export interface WorkflowJobDeps {
  readonly store: EventStore;
  readonly aliases: ReadonlyArray<AliasRule>;
  /** `owner` or `owner/repo` entries; empty allows every repository. */
  readonly allowlist: ReadonlyArray<string>;
  readonly now: () => string;
}

export interface Delivery {
  readonly event: string;
  readonly deliveryId: string;
  readonly payload: unknown;
}

const allowed = (allowlist: ReadonlyArray<string>, repo: string): boolean =>
  allowlist.length === 0 || allowlist.some((entry) => entry === repo || entry === repo.split('/')[0]);

const toCommand = (payload: WorkflowJobPayload, parsed: E.Either<LabelRejection, JobSpec>): JobCommand | null => {
  const job = payload.workflow_job;
  const ref = {
    jobId: String(job.id),
    runId: String(job.run_id),
    runAttempt: job.run_attempt ?? 1,
    repo: payload.repository.full_name,
  };
  switch (payload.action) {
    case 'queued':
      return {
        type: 'QueueJob',
        data: {
          ...ref,
          workflowName: job.workflow_name ?? null,
          jobName: job.name ?? null,
          labels: job.labels,
          parsed,
          installationId: payload.installation?.id ?? null,
          queuedAt: job.created_at ?? null,
        },
      };
    case 'in_progress':
      return {
        type: 'StartJob',
        data: {
          ...ref,
          runnerName: job.runner_name ?? null,
          runnerId: job.runner_id ?? null,
          startedAt: job.started_at ?? null,
        },
      };
    case 'completed':
      return {
        type: 'CompleteJob',
        data: {
          ...ref,
          conclusion: job.conclusion ?? 'unknown',
          runnerName: job.runner_name ?? null,
          completedAt: job.completed_at ?? null,
        },
      };
    default:
      return null;
  }
};

export const handleWorkflowJob = async (deps: WorkflowJobDeps, delivery: Delivery): Promise<WebhookOutcome> => {
  if (delivery.event !== 'workflow_job') return { kind: 'ignored', reason: 'event' };
  const decoded = WorkflowJobPayload.decode(delivery.payload);
  if (E.isLeft(decoded)) return { kind: 'invalid', message: formatValidationErrors(decoded.left) };
  const payload = decoded.right;
  const jobId = String(payload.workflow_job.id);
  if (!isHandledAction(payload.action)) return { kind: 'ignored', reason: 'action', jobId };
  // Foreign jobs are never recorded, whatever the action (DESIGN section 3).
  const parsed = parseJobLabels(payload.workflow_job.labels, deps.aliases);
  if (E.isLeft(parsed) && parsed.left.code === 'not-ours') return { kind: 'ignored', reason: 'not-ours', jobId };
  if (!allowed(deps.allowlist, payload.repository.full_name)) return { kind: 'ignored', reason: 'not-allowed', jobId };
  const streamId = jobStreamId(jobId);
  const history = await deps.store.read(streamId);
  if (history.some((event) => event.metadata.deliveryId === delivery.deliveryId)) return { kind: 'duplicate', jobId };
  const command = toCommand(payload, parsed);
  if (command === null) return { kind: 'ignored', reason: 'action', jobId };
  const metadata = { at: deps.now(), deliveryId: delivery.deliveryId, correlationId: delivery.deliveryId };
  const known = foldStream(jobDecider, streamId, history);
  const outcome = await decideAndAppend(deps.store, jobDecider, streamId, command, metadata, { known });
  switch (outcome.kind) {
    case 'appended':
      return { kind: 'recorded', jobId, events: outcome.events.map((event) => event.type) };
    case 'unchanged':
    case 'rejected':
      return { kind: 'ignored', reason: 'no-change', jobId };
    case 'conflict-retries-exhausted':
      throw new Error(`job ${jobId}: ${outcome.attempts} concurrent appends in a row; let GitHub redeliver`);
  }
};
