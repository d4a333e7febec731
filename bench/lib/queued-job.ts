/**
 * The events a `workflow_job` queued webhook records (JobQueued + RunnerRequested), made by the real job decider from
 * the same labels as the HTTP tests' payloads, for benchmarks that append to a store directly.
 */
import * as E from 'fp-ts/lib/Either.js';
import { parseJobLabels } from '../../domain/labels/index.js';
import type { NewEvent } from '../../domain/store/index.js';
import { jobDecider } from '../../handlers/app/deciders.js';

export const BENCH_LABELS: ReadonlyArray<string> = ['runs-fleet=940463255/cpu=4/arch=arm64'];

export const queuedJobEvents = (jobId: number, at: string): ReadonlyArray<NewEvent> => {
  const decision = jobDecider.decide(
    {
      type: 'QueueJob',
      data: {
        jobId: String(jobId),
        runId: String(7_000_000 + jobId),
        runAttempt: 1,
        repo: 'acme/widgets',
        workflowName: 'CI',
        jobName: 'build',
        labels: BENCH_LABELS,
        parsed: parseJobLabels(BENCH_LABELS, []),
        installationId: 42,
        queuedAt: at,
      },
    },
    jobDecider.initial,
  );
  if (E.isLeft(decision)) throw new Error(`queue job ${jobId}: ${decision.left.message}`);
  const metadata = { at, deliveryId: `bench-${jobId}`, correlationId: `bench-${jobId}` };

  return decision.right.map((event) => ({ type: event.type, data: event.data, metadata }));
};
