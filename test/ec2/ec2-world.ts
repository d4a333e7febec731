import { createInProcessBus, type InProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../adapters/store-memory/index.js';
import type { Command } from '../../domain/commands/commands.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import { createPipeline } from '../../handlers/app/pipeline.js';
import { replay } from '../../handlers/replay/engine.js';
import { explainJob, type Explanation } from '../../handlers/replay/explain.js';
import { buildExecutors } from '../../handlers/serve/executors.js';
import { createObservationRecorder } from '../../handlers/serve/record-observation.js';
import { githubCalls, type GithubCalls } from '../world/github-calls.js';
export type { JobInput } from '../world/github-calls.js';
import { ReadModels } from '../../projections/read-models.js';
import { createSettler } from '../world/settle.js';
import { createTestClock, type TestClock } from '../world/clock.js';
import { createFakeGithub, type FakeGithub } from '../world/fake-github.js';

/**
 * The whole pipeline in one process (like test/world) with a real compute adapter and runner-config store: the EC2
 * adapter on moto, the SSM store on moto. Webhook-shaped calls drive it; `settle` pumps the change feed through the
 * pipeline and waits for the bus until nothing moves; `explain` is `runs-fleet explain --job` over the store.
 */
export interface Ec2World extends GithubCalls {
  readonly store: MemoryEventStore;
  readonly models: ReadModels;
  readonly bus: InProcessBus;
  readonly github: FakeGithub;
  readonly clock: TestClock;
  readonly dispatched: Command[];
  /** What the lifecycle path records (handlers/serve/record-observation.ts), as the EC2 events poller reports it. */
  readonly record: (machineId: string, observation: Observation) => Promise<void>;
  settle(): Promise<void>;
  explain(jobId: string): Promise<Explanation>;
}

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
    ...githubCalls(store, at),
  };
};
