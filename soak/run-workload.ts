import type { SimGithubClient } from '../adapters/sim/index.js';
import { seededRandom } from '../adapters/sim/index.js';
import type { Fleet } from './fleet.js';
import type { SoakOptions } from './options.js';
import type { WebhookRelay } from './webhook-relay.js';
import { planWorkload, type PlannedRun } from './workload.js';

/**
 * Plays the seeded workload: each burst's jobs are created at the simulated GitHub (which sends their `queued`
 * webhooks through the relay) at the burst's time, while orchestrators are killed from outside once per planned life.
 * Returns how long the workload took.
 */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
const PROGRESS_EVERY_MS = 15_000;

const enqueueRun = async (github: SimGithubClient, run: PlannedRun): Promise<void> => {
  for (let n = 0; n < run.jobs; n += 1) {
    await github.enqueue({
      repo: run.repo,
      labels: [...run.labels],
      runId: run.runId,
      name: run.jobs === 1 ? 'build' : `build (${String(n + 1)})`,
      workflowName: 'CI',
    });
  }
};

export const runWorkload = async (inputs: {
  readonly options: SoakOptions;
  readonly github: SimGithubClient;
  readonly fleet: Fleet;
  readonly relay: WebhookRelay;
  readonly lifeMs: number;
  readonly log: (line: string) => void;
}): Promise<number> => {
  const { options, github, fleet, relay, log } = inputs;
  const bursts = planWorkload(seededRandom(options.seed + 3), options);
  const started = Date.now();
  let nextKill = started + inputs.lifeMs;
  let nextProgress = started + PROGRESS_EVERY_MS;
  let enqueued = 0;
  for (const burst of bursts) {
    await sleep(started + burst.atMs - Date.now());
    await Promise.all(burst.runs.map((run) => enqueueRun(github, run)));
    enqueued += burst.runs.reduce((sum, run) => sum + run.jobs, 0);
    if (Date.now() >= nextKill) {
      nextKill += inputs.lifeMs;
      if (fleet.killOne()) log(`killed an orchestrator from outside (SIGKILL)`);
    }
    if (Date.now() >= nextProgress) {
      nextProgress += PROGRESS_EVERY_MS;
      const acked = [...relay.jobs.values()].filter((job) => job.acked.size > 0).length;
      const running = [...relay.jobs.values()].filter((job) => job.inProgressAt !== null).length;
      log(
        `${String(Math.round((Date.now() - started) / 1000))}s: enqueued ${String(enqueued)}, accepted ${String(acked)}, ` +
          `taken by a runner ${String(running)}, orchestrators up ${String(fleet.live().length)}, relay in flight ${String(relay.inFlight())}`,
      );
    }
  }

  return Date.now() - started;
};
