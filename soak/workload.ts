import { randomInt, type Random } from '../adapters/sim/index.js';
import { SOAK_POOL } from './pool.js';

/**
 * The soak's seeded workload: bursts of workflow runs, each with one job or a matrix of jobs with IDENTICAL labels
 * (GitHub gives any of them to any of their runners), over a few label shapes (arm64 and amd64, on-demand, a named
 * family, Kubernetes pods, the soak's warm pool, and a label without a run id that several runs share). Bursts are
 * spaced so that the average rate is `jobsPerSecond`.
 */
export interface PlannedRun {
  readonly repo: string;
  readonly runId: string;
  readonly labels: ReadonlyArray<string>;
  /** Jobs in the run (a matrix), all with the labels above. */
  readonly jobs: number;
}

export interface Burst {
  /** Milliseconds after the start of the workload. */
  readonly atMs: number;
  readonly runs: ReadonlyArray<PlannedRun>;
}

const REPOS = ['acme/widgets', 'acme/gadgets', 'octo/tools'];

/** [weight, label for a run id] */
const SHAPES: ReadonlyArray<readonly [number, (runId: string) => string]> = [
  [40, (run) => `runs-fleet=${run}/cpu=2/arch=arm64`],
  [20, (run) => `runs-fleet=${run}/cpu=4/arch=amd64/ram=8`],
  [12, (run) => `runs-fleet=${run}/cpu=2/spot=false`],
  [10, (run) => `runs-fleet=${run}/family=c7g/cpu=4`],
  [10, (run) => `runs-fleet=${run}/backend=k8s/cpu=2`],
  [8, (run) => `runs-fleet=${run}/pool=${SOAK_POOL}/cpu=2/arch=arm64`],
  [8, () => 'runs-fleet/cpu=2/arch=arm64'],
];

const pickShape = (random: Random): ((runId: string) => string) => {
  const total = SHAPES.reduce((sum, [weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [weight, shape] of SHAPES) {
    roll -= weight;
    if (roll < 0) return shape;
  }

  return SHAPES[0]?.[1] ?? ((run) => `runs-fleet=${run}`);
};

const matrixSize = (random: Random): number => {
  const roll = random();
  if (roll < 0.55) return 1;

  return roll < 0.85 ? randomInt(random, 2, 5) : randomInt(random, 5, 11);
};

export const planWorkload = (random: Random, options: { jobs: number; jobsPerSecond: number }): Burst[] => {
  const bursts: Burst[] = [];
  let planned = 0;
  let atMs = 0;
  let runId = 7_000_000_000;
  while (planned < options.jobs) {
    const target = Math.min(
      options.jobs - planned,
      randomInt(random, 5, Math.min(81, 6 + Math.ceil(options.jobs / 4))),
    );
    const runs: PlannedRun[] = [];
    for (let inBurst = 0; inBurst < target;) {
      runId += 1;
      const jobs = Math.min(target - inBurst, matrixSize(random));
      const label = pickShape(random)(String(runId));
      runs.push({
        repo: REPOS[randomInt(random, 0, REPOS.length)] ?? 'acme/widgets',
        runId: String(runId),
        labels: [label],
        jobs,
      });
      inBurst += jobs;
    }
    bursts.push({ atMs, runs });
    planned += target;
    atMs += Math.round((target / options.jobsPerSecond) * 1000);
  }

  return bursts;
};
