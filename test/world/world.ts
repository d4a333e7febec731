import { createInProcessBus, type InProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../adapters/store-memory/index.js';
import type { Command } from '../../domain/commands/commands.js';
import type { JobCommand } from '../../domain/job/job-decide.js';
import { parseJobLabels } from '../../domain/labels/index.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import { jobStreamId } from '../../domain/shared/ids.js';
import { decideAndAppend } from '../../handlers/app/decide-and-append.js';
import { jobDecider } from '../../handlers/app/deciders.js';
import { buildExecutors } from '../../handlers/serve/executors.js';
import { createObservationRecorder } from '../../handlers/serve/record-observation.js';
import { createPipeline, type Pipeline } from '../../handlers/app/pipeline.js';
import { ReadModels } from '../../projections/read-models.js';
import { createSettler } from './settle.js';
import { createTestClock, type TestClock } from './clock.js';
import { createFakeCompute, type FakeCompute } from './fake-compute.js';
import { createFakeGithub, createMemoryRunnerConfigs } from './fake-github.js';

/**
 * The whole domain running in one process without any server: memory store → pipeline (project, react) → in-process
 * bus → executors (fake compute; GitHub outcomes recorded directly). Tests drive it with webhook-shaped calls.
 */
export interface JobInput {
  readonly jobId: string;
  readonly labels: ReadonlyArray<string>;
  readonly repo?: string;
  readonly runId?: string;
}

export interface World {
  readonly store: MemoryEventStore;
  readonly models: ReadModels;
  readonly pipeline: Pipeline;
  readonly bus: InProcessBus;
  readonly compute: FakeCompute;
  readonly clock: TestClock;
  readonly dispatched: Command[];
  queued(job: JobInput): Promise<void>;
  started(job: JobInput, runnerName: string | null): Promise<void>;
  completed(job: JobInput, conclusion: string, runnerName?: string | null): Promise<void>;
  observe(machineId: string, observation: Observation): Promise<void>;
  /** Pumps the change feed through the pipeline and waits for the bus until nothing moves. */
  settle(): Promise<void>;
}

const ref = (job: JobInput) => ({
  jobId: job.jobId,
  runId: job.runId ?? '9000',
  runAttempt: 1,
  repo: job.repo ?? 'acme/widgets',
});

export const createWorld = (settings: ProcessSettings = { defaultBackend: 'ec2' }): World => {
  const store = createMemoryEventStore();
  const models = new ReadModels(settings);
  const compute = createFakeCompute();
  const clock = createTestClock();
  const dispatched: Command[] = [];
  const at = () => clock.now();
  const executors = buildExecutors({
    store,
    compute,
    github: createFakeGithub(),
    configs: createMemoryRunnerConfigs(),
    at,
  });
  const bus = createInProcessBus(executors, { baseDelayMs: 1 });
  const pipeline = createPipeline(store, models, bus, { onCommands: (commands) => void dispatched.push(...commands) });
  const observe = createObservationRecorder(store, at);
  compute.onPower = (op, machineId, cloudId) =>
    observe(machineId, { type: op === 'start' ? 'MachineStarted' : 'MachineStopped', data: { cloudId } });

  const onJob = async (job: JobInput, command: JobCommand) => {
    await decideAndAppend(store, jobDecider, jobStreamId(job.jobId), command, {
      at: at(),
      deliveryId: `d-${job.jobId}`,
    });
  };

  const settle = createSettler(store, pipeline, bus);

  return {
    store,
    models,
    pipeline,
    bus,
    compute,
    clock,
    dispatched,
    settle,
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
    observe,
  };
};
