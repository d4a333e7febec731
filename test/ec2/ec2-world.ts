import { createInProcessBus, type InProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../adapters/store-memory/index.js';
import type { Command } from '../../domain/commands/commands.js';
import type { JobCommand } from '../../domain/job/job-decide.js';
import { parseJobLabels } from '../../domain/labels/index.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import { jobStreamId } from '../../domain/shared/ids.js';
import { decideAndAppend } from '../../handlers/app/decide-and-append.js';
import { jobDecider } from '../../handlers/app/deciders.js';
import { createPipeline } from '../../handlers/app/pipeline.js';
import { replay } from '../../handlers/replay/engine.js';
import { explainJob, type Explanation } from '../../handlers/replay/explain.js';
import { buildExecutors } from '../../handlers/serve/executors.js';
import { createObservationRecorder } from '../../handlers/serve/record-observation.js';
import { ReadModels } from '../../projections/read-models.js';
import { createSettler } from '../world/settle.js';
import { createTestClock, type TestClock } from '../world/clock.js';
import { createFakeGithub, type FakeGithub } from '../world/fake-github.js';

/**
 * The whole pipeline in one process (like test/world) with a real compute adapter and runner-config store: the EC2
 * adapter on moto, the SSM store on moto. Webhook-shaped calls drive it; `settle` pumps the change feed through the
 * pipeline and waits for the bus until nothing moves; `explain` is `runs-fleet explain --job` over the store.
 */
export interface JobInput {
  readonly jobId: string;
  readonly labels: ReadonlyArray<string>;
  readonly repo?: string;
  readonly runId?: string;
}

export interface Ec2World {
  readonly store: MemoryEventStore;
  readonly models: ReadModels;
  readonly bus: InProcessBus;
  readonly github: FakeGithub;
  readonly clock: TestClock;
  readonly dispatched: Command[];
  queued(job: JobInput): Promise<void>;
  started(job: JobInput, runnerName: string | null): Promise<void>;
  completed(job: JobInput, conclusion: string, runnerName?: string | null): Promise<void>;
  /** What the lifecycle path records (handlers/serve/record-observation.ts), as the EC2 events poller reports it. */
  readonly record: (machineId: string, observation: Observation) => Promise<void>;
  settle(): Promise<void>;
  explain(jobId: string): Promise<Explanation>;
}

const ref = (job: JobInput) => ({
  jobId: job.jobId,
  runId: job.runId ?? '9000',
  runAttempt: 1,
  repo: job.repo ?? 'acme/widgets',
});

export const createEc2World = (
  compute: ComputePort,
  configs: RunnerConfigStore,
  settings: ProcessSettings = { defaultBackend: 'ec2' },
): Ec2World => {
  const store = createMemoryEventStore();
  const models = new ReadModels(settings);
  const clock = createTestClock();
  const github = createFakeGithub();
  const dispatched: Command[] = [];
  const at = () => clock.now();
  const bus = createInProcessBus(buildExecutors({ store, compute, github, configs, at }), { baseDelayMs: 1 });
  const pipeline = createPipeline(store, models, bus, { onCommands: (commands) => void dispatched.push(...commands) });

  const onJob = async (job: JobInput, command: JobCommand) => {
    await decideAndAppend(store, jobDecider, jobStreamId(job.jobId), command, {
      at: at(),
      deliveryId: `d-${job.jobId}`,
    });
  };

  return {
    store,
    models,
    bus,
    github,
    clock,
    dispatched,
    record: createObservationRecorder(store, at),
    settle: createSettler(store, pipeline, bus),
    explain: async (jobId) => {
      const all = await store.readAfter(0, 100_000);
      const events = async function* () {
        yield* all;
      };

      return explainJob(jobId, await replay(events, { scope: { kind: 'job', jobId } }));
    },
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
