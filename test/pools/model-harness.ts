import * as E from 'fp-ts/lib/Either.js';
import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../adapters/store-memory/index.js';
import { decodeRecorded } from '../../domain/events/domain-event.js';
import type { JobCommand } from '../../domain/job/job-decide.js';
import { parseJobLabels } from '../../domain/labels/index.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import { jobStreamId } from '../../domain/shared/ids.js';
import { decideAndAppend } from '../../handlers/app/decide-and-append.js';
import { jobDecider } from '../../handlers/app/deciders.js';
import { createPipeline, type Pipeline } from '../../handlers/app/pipeline.js';
import { readModelsPoolSource } from '../../handlers/pools/pool-sources.js';
import { reconcilePools } from '../../handlers/pools/reconciler.js';
import { buildExecutors } from '../../handlers/serve/executors.js';
import { createObservationRecorder } from '../../handlers/serve/record-observation.js';
import { ReadModels } from '../../projections/read-models.js';
import { createTestClock, type TestClock } from '../world/clock.js';
import { createFakeCompute, type FakeCompute } from '../world/fake-compute.js';
import { createFakeGithub, createMemoryRunnerConfigs } from '../world/fake-github.js';

/**
 * The whole orchestrator in one process for the model-based pool test: the store and the cloud (fake compute) survive
 * a crash; the read models, the pipeline and the commands decided but not yet carried out do not. `crashDuring`
 * drops every command decided while it runs (a process killed between deciding and doing), and `restart` rebuilds
 * the models from the store and re-derives the pending commands (`resume`), as `serve` does on start.
 */
export interface PoolModel {
  readonly store: MemoryEventStore;
  readonly compute: FakeCompute;
  readonly clock: TestClock;
  models(): ReadModels;
  queued(jobId: string, label: string): Promise<void>;
  started(jobId: string, runnerName: string): Promise<void>;
  completed(jobId: string, conclusion: string, runnerName: string): Promise<void>;
  observe(machineId: string, observation: Observation): Promise<void>;
  reconcile(): Promise<void>;
  settle(): Promise<void>;
  crashDuring(work: () => Promise<void>): Promise<void>;
  restart(): Promise<void>;
}

const SETTINGS = { defaultBackend: 'ec2' } as const;

export const createPoolModel = (): PoolModel => {
  const store = createMemoryEventStore();
  const compute = createFakeCompute();
  const clock = createTestClock();
  const at = () => clock.now();
  const observe = createObservationRecorder(store, at);
  compute.onPower = (op, machineId, cloudId) =>
    observe(machineId, { type: op === 'start' ? 'MachineStarted' : 'MachineStopped', data: { cloudId } });
  const executors = buildExecutors({
    store,
    compute,
    github: createFakeGithub(),
    configs: createMemoryRunnerConfigs(),
    at,
  });
  const bus = createInProcessBus(executors, { baseDelayMs: 1, maxAttempts: 2 });
  let dropping = false;
  const lossy = {
    dispatch: async (commands: Parameters<typeof bus.dispatch>[0]) => (dropping ? undefined : bus.dispatch(commands)),
  };
  let models = new ReadModels(SETTINGS);
  let pipeline: Pipeline = createPipeline(store, models, lossy);
  let position = 0;

  const settle = async () => {
    for (;;) {
      const batch = await store.readAfter(position, 500);
      for (const recorded of batch) {
        await pipeline.handle(recorded);
        position = recorded.position ?? position;
      }
      await bus.idle();
      if (batch.length === 0 && (await store.head()) === position) return;
    }
  };

  const onJob = async (jobId: string, command: JobCommand) => {
    await decideAndAppend(store, jobDecider, jobStreamId(jobId), command, { at: at(), deliveryId: `d-${jobId}` });
  };
  const ref = (jobId: string) => ({ jobId, runId: '77', runAttempt: 1, repo: 'acme/widgets' });

  return {
    store,
    compute,
    clock,
    models: () => models,
    settle,
    observe,
    queued: (jobId, label) =>
      onJob(jobId, {
        type: 'QueueJob',
        data: {
          ...ref(jobId),
          workflowName: 'ci',
          jobName: `job-${jobId}`,
          labels: [label],
          parsed: parseJobLabels([label], []),
          installationId: 42,
          queuedAt: at(),
        },
      }),
    started: (jobId, runnerName) =>
      onJob(jobId, { type: 'StartJob', data: { ...ref(jobId), runnerName, runnerId: null, startedAt: at() } }),
    completed: (jobId, conclusion, runnerName) =>
      onJob(jobId, { type: 'CompleteJob', data: { ...ref(jobId), conclusion, runnerName, completedAt: at() } }),
    reconcile: async () => {
      await reconcilePools({ store, source: readModelsPoolSource(() => models), now: at() });
    },
    crashDuring: async (work) => {
      dropping = true;
      try {
        await work();
        await settle();
      } finally {
        dropping = false;
      }
    },
    restart: async () => {
      await bus.idle();
      models = new ReadModels(SETTINGS);
      pipeline = createPipeline(store, models, lossy);
      const all = await store.readAfter(0, 1_000_000);
      for (const recorded of all) {
        const decoded = decodeRecorded(recorded);
        if (E.isRight(decoded)) models.apply(decoded.right);
        position = recorded.position ?? position;
      }
      await pipeline.resume(at());
      await settle();
    },
  };
};
