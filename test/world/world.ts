import { createInProcessBus, type InProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../adapters/store-memory/index.js';
import type { Command } from '../../domain/commands/commands.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import { buildExecutors } from '../../handlers/serve/executors.js';
import { createObservationRecorder } from '../../handlers/serve/record-observation.js';
import { createPipeline, type Pipeline } from '../../handlers/app/pipeline.js';
import { githubCalls, type GithubCalls } from './github-calls.js';
export type { JobInput } from './github-calls.js';
import { ReadModels } from '../../projections/read-models.js';
import { createSettler } from './settle.js';
import { createTestClock, type TestClock } from './clock.js';
import { createFakeCompute, type FakeCompute } from './fake-compute.js';
import { createFakeGithub, createMemoryRunnerConfigs } from './fake-github.js';

/**
 * The whole domain running in one process without any server: memory store → pipeline (project, react) → in-process
 * bus → executors (fake compute; GitHub outcomes recorded directly). Tests drive it with webhook-shaped calls.
 */
export interface World extends GithubCalls {
  readonly store: MemoryEventStore;
  readonly models: ReadModels;
  readonly pipeline: Pipeline;
  readonly bus: InProcessBus;
  readonly compute: FakeCompute;
  readonly clock: TestClock;
  readonly dispatched: Command[];
  observe(machineId: string, observation: Observation): Promise<void>;
  /** Pumps the change feed through the pipeline and waits for the bus until nothing moves. */
  settle(): Promise<void>;
}

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
    ...githubCalls(store, at),
    observe,
  };
};
