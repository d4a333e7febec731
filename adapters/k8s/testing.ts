import * as E from 'fp-ts/lib/Either.js';
import type { CreateRunnerPod } from '../../domain/commands/commands.js';
import { evolveJob, initialJobState, type JobState } from '../../domain/job/job-state.js';
import { parseJobLabels } from '../../domain/labels/index.js';
import { launchFor } from '../../domain/process/command-builders.js';
import type { ProcessViews } from '../../domain/process/process-views.js';
import type { Capacity } from '../../domain/shared/codecs.js';
import { EMPTY_POD_TEMPLATE, type PodTemplateOverrides } from './pod-template.js';
import type { RunnerPodConfig } from './runner-pod.js';

/**
 * Test helpers for the Kubernetes adapter: a `CreateRunnerPod` made the way the service makes one (labels parsed by
 * the domain's grammar, the job folded from its events, the command from the real builder), never written by hand.
 */
export const TEST_RUNNER_IMAGE = 'ghcr.io/runs-fleet/runner:test';

const views = (): ProcessViews => ({
  job: () => undefined,
  machine: () => undefined,
  runnerUse: () => undefined,
  breaker: {},
  settings: { defaultBackend: 'k8s' },
});

export interface JobInput {
  readonly label: string;
  readonly jobId?: string;
  readonly repo?: string;
  readonly capacity?: Capacity;
  /** Attempt number; the machine id changes with it (a re-dispatch gets a new machine). */
  readonly attempt?: number;
}

/** The job's state after `JobQueued` (labels parsed) and `RunnerRequested`, as the job stream would fold it. */
export const requestedJob = (input: JobInput): JobState => {
  const spec = parseJobLabels([input.label], []);
  if (E.isLeft(spec)) throw new Error(`label ${input.label}: ${JSON.stringify(spec.left)}`);
  const jobId = input.jobId ?? '4242';
  const queued = evolveJob(
    initialJobState,
    {
      type: 'JobQueued',
      data: {
        jobId,
        runId: '77',
        runAttempt: 1,
        repo: input.repo ?? 'acme/widgets',
        workflowName: 'ci',
        jobName: 'build',
        labels: [input.label],
        spec: spec.right,
        installationId: null,
        queuedAt: null,
      },
    },
    1,
  );
  const capacity = input.capacity ?? (spec.right.spot ? 'spot' : 'on-demand');
  let job = evolveJob(queued, { type: 'RunnerRequested', data: { attempt: 1, capacity } }, 2);
  for (let attempt = 2; attempt <= (input.attempt ?? 1); attempt++) {
    job = evolveJob(job, { type: 'RunnerRequested', data: { attempt, capacity } }, attempt + 1);
  }

  return job;
};

/** The command `react` would emit for that job: the real `launchFor`. */
export const createRunnerPodCommand = (input: JobInput): CreateRunnerPod => {
  const command = launchFor(views(), requestedJob(input), '2026-01-01T00:00:00.000Z');
  if (command === null || command.type !== 'CreateRunnerPod') {
    throw new Error(`label ${input.label} did not give a CreateRunnerPod (got ${command?.type ?? 'nothing'})`);
  }

  return command;
};

export const testPodConfig = (
  namespace: string,
  template: PodTemplateOverrides = EMPTY_POD_TEMPLATE,
): RunnerPodConfig => ({
  namespace,
  image: TEST_RUNNER_IMAGE,
  imagePullPolicy: null,
  memoryPerCpuGiB: 4,
  template,
});
