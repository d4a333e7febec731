import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createSimCloud, createSimGithub, type SimCloud, type SimGithub } from '../../adapters/sim/index.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../adapters/store-memory/index.js';
import type { JobCommand } from '../../domain/job/job-decide.js';
import { parseJobLabels } from '../../domain/labels/index.js';
import { jobStreamId } from '../../domain/shared/ids.js';
import { decideAndAppend } from '../../handlers/app/decide-and-append.js';
import { jobDecider } from '../../handlers/app/deciders.js';
import { createPipeline } from '../../handlers/app/pipeline.js';
import { readModelsPoolSource } from '../../handlers/pools/pool-sources.js';
import { reconcilePools } from '../../handlers/pools/reconciler.js';
import { buildExecutors } from '../../handlers/serve/executors.js';
import { createObservationRecorder } from '../../handlers/serve/record-observation.js';
import { ReadModels } from '../../projections/read-models.js';
import { createTestClock, type TestClock } from '../world/clock.js';
import { createMemoryRunnerConfigs } from '../world/fake-github.js';
import { createSettler } from '../world/settle.js';

/**
 * The orchestrator on THE SIMULATED CLOUD in one process: machines boot, stop and start on (short) timers, the
 * simulated agent waits for its runner config, registers with the simulated GitHub and runs the job it is given.
 * Domain time is a test clock (the reconciler's guards are minutes long); the cloud's own timers are milliseconds.
 * GitHub's webhooks are read back by polling the simulated GitHub (`syncGithub`), so no HTTP server is needed.
 */
export interface SimPools {
  readonly store: MemoryEventStore;
  readonly models: ReadModels;
  readonly sim: SimCloud;
  readonly github: SimGithub;
  readonly clock: TestClock;
  /** Creates the job at the simulated GitHub and records its `queued` webhook. */
  queue(labels: ReadonlyArray<string>): Promise<string>;
  /** Pumps everything (feed, commands, cloud reports, GitHub's job states) until `done` holds; throws after 10 s. */
  until(done: () => boolean): Promise<void>;
  reconcile(): Promise<void>;
  close(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const createSimPools = (): SimPools => {
  const store = createMemoryEventStore();
  const models = new ReadModels({ defaultBackend: 'ec2' });
  const clock = createTestClock();
  const at = () => clock.now();
  const configs = createMemoryRunnerConfigs();
  const github = createSimGithub({ webhookUrl: null, webhookSecret: 'sim', seed: 7 });
  const record = createObservationRecorder(store, at);
  const sim = createSimCloud({
    report: record,
    runnerConfigs: configs,
    github,
    seed: 11,
    bootDelayMs: 5,
    jobDurationMs: 20,
    jobJitter: 0,
    pollIntervalMs: 5,
    idleTimeoutMs: 60_000,
  });
  const bus = createInProcessBus(buildExecutors({ store, compute: sim, github, configs, at }), { baseDelayMs: 1 });
  const pipeline = createPipeline(store, models, bus);
  const told = new Map<string, string>();

  const onJob = (jobId: string, command: JobCommand) =>
    decideAndAppend(store, jobDecider, jobStreamId(jobId), command, { at: at(), deliveryId: `d-${jobId}` });

  /** GitHub's `in_progress` and `completed` webhooks, read from the simulated GitHub's job list. */
  const syncGithub = async () => {
    for (const job of github.jobs()) {
      const ref = { jobId: job.id, runId: job.runId, runAttempt: job.runAttempt, repo: job.repo };
      const seen = told.get(job.id);
      if ((job.status === 'in_progress' || job.status === 'completed') && seen === 'queued') {
        await onJob(job.id, {
          type: 'StartJob',
          data: { ...ref, runnerName: job.runnerName, runnerId: job.runnerId, startedAt: at() },
        });
        told.set(job.id, 'in_progress');
      }
      if (job.status === 'completed' && told.get(job.id) === 'in_progress') {
        const conclusion = job.conclusion ?? 'success';
        await onJob(job.id, {
          type: 'CompleteJob',
          data: { ...ref, conclusion, runnerName: job.runnerName, completedAt: at() },
        });
        told.set(job.id, 'completed');
      }
    }
  };

  const drain = createSettler(store, pipeline, bus);
  const pump = async () => {
    await sim.settled();
    await syncGithub();
    await drain();
  };

  return {
    store,
    models,
    sim,
    github,
    clock,
    queue: async (labels) => {
      const job = github.enqueue({ repo: 'acme/widgets', labels });
      told.set(job.id, 'queued');
      await onJob(job.id, {
        type: 'QueueJob',
        data: {
          jobId: job.id,
          runId: job.runId,
          runAttempt: 1,
          repo: job.repo,
          workflowName: 'ci',
          jobName: job.name,
          labels: [...labels],
          parsed: parseJobLabels(labels, []),
          installationId: null,
          queuedAt: at(),
        },
      });

      return job.id;
    },
    until: async (done) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        await pump();
        if (done()) return;
        if (Date.now() > deadline) throw new Error('simulated cloud did not get there within 10 s');
        await sleep(5);
      }
    },
    reconcile: async () => {
      await reconcilePools({ store, source: readModelsPoolSource(() => models), now: at() });
      await pump();
    },
    close: () => {
      sim.close();
      github.close();
    },
  };
};
