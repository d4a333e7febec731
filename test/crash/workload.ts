import type { JobCommand } from '../../domain/job/job-decide.js';
import { parseJobLabels } from '../../domain/labels/index.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { jobStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { decideAndAppend } from '../../handlers/app/decide-and-append.js';
import { jobDecider } from '../../handlers/app/deciders.js';
import type { JobView } from '../../projections/job-view.js';
import type { ReadModels } from '../../projections/read-models.js';

/**
 * The crash test's GitHub: before each child run, a seeded round of webhook-shaped job commands goes into the store
 * through the job decider (as test/world does): new jobs queued, assigned jobs started on their runner (now and then
 * on a sibling's, which takes that sibling's runner), running jobs completed, waiting jobs cancelled. A runner takes
 * at most one job, as on GitHub. Decisions read the views rebuilt from the table, so every round builds on what the
 * killed children really recorded.
 */
const LABELS = ['runs-fleet=1/cpu=4/arch=arm64', 'runs-fleet/cpu=2/spot=false', 'runs-fleet/cpu=abc'];
const CONCLUSIONS = ['success', 'success', 'failure', 'cancelled'];

/** mulberry32: small, seedable, the same sequence on every machine. */
const prng = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

const ref = (jobId: string) => ({ jobId, runId: '9000', runAttempt: 1, repo: 'acme/widgets' });

const queue = (jobId: string, label: string, at: string): JobCommand => ({
  type: 'QueueJob',
  data: {
    ...ref(jobId),
    workflowName: 'ci',
    jobName: `job-${jobId}`,
    labels: [label],
    parsed: parseJobLabels([label], []),
    installationId: 42,
    queuedAt: at,
  },
});

const start = (jobId: string, runnerName: string, at: string): JobCommand => ({
  type: 'StartJob',
  data: { ...ref(jobId), runnerName, runnerId: null, startedAt: at },
});

const complete = (jobId: string, conclusion: string, runnerName: string | null, at: string): JobCommand => ({
  type: 'CompleteJob',
  data: { ...ref(jobId), conclusion, runnerName, completedAt: at },
});

type Step = readonly [jobId: string, command: JobCommand];

const pick = <T>(rand: () => number, items: ReadonlyArray<T>): T => items[Math.floor(rand() * items.length)] as T;

interface Round {
  readonly rand: () => number;
  readonly models: ReadModels;
  readonly at: string;
  readonly waiting: ReadonlyArray<string>;
  /** Machines whose runner took a job this round, and jobs that already have a step. */
  readonly taken: Set<string>;
  readonly moved: Set<string>;
}

/** An assigned job's runner takes a job: mostly its own, sometimes a waiting sibling with the same labels. */
const startOn = (round: Round, id: string, machineId: string, r: number): Step => {
  const sibling = r < 0.15 ? round.waiting.find((w) => w !== id && !round.moved.has(w)) : undefined;
  const jobId = sibling ?? id;
  round.taken.add(machineId);
  round.moved.add(jobId);
  return [jobId, start(jobId, runnerNameFor(machineId), round.at)];
};

const runnerFree = (round: Round, machineId: string | null): machineId is string =>
  machineId !== null && round.models.runnerUse(machineId) === undefined && !round.taken.has(machineId);

const stepFor = (round: Round, id: string, job: JobView): Step | null => {
  const r = round.rand();
  const machineId = job.machineId;
  if (job.status === 'assigned' && runnerFree(round, machineId) && r < 0.7) return startOn(round, id, machineId, r);
  if (round.moved.has(id)) return null;
  if (job.status === 'running' && r < 0.6)
    return [id, complete(id, pick(round.rand, CONCLUSIONS), job.runnerName, round.at)];
  if (job.status === 'provisioning' && r < 0.1) return [id, complete(id, 'cancelled', null, round.at)];
  return null;
};

/** What GitHub says about the jobs already known, this round. */
const progress = (rand: () => number, models: ReadModels, at: string): Step[] => {
  const jobs = [...models.jobs.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const waiting = jobs.filter(([, job]) => job.status === 'provisioning').map(([id]) => id);
  const round: Round = { rand, models, at, waiting, taken: new Set(), moved: new Set() };
  return jobs.flatMap(([id, job]) => {
    const step = stepFor(round, id, job);
    return step === null ? [] : [step];
  });
};

export const appendRound = async (
  store: EventStore,
  models: ReadModels,
  seed: number,
  round: number,
): Promise<number> => {
  const rand = prng(seed * 7_919 + round);
  const at = new Date().toISOString();
  const fresh = Array.from({ length: round === 0 ? 6 : 2 }, (_, i): Step => {
    const jobId = String(1_000 * (round + 1) + i);
    return [jobId, queue(jobId, pick(rand, [LABELS[0], LABELS[0], LABELS[1], LABELS[1], LABELS[2]]) ?? '', at)];
  });
  const steps = [...progress(rand, models, at), ...fresh];
  for (const [jobId, command] of steps) {
    await decideAndAppend(store, jobDecider, jobStreamId(jobId), command, {
      at,
      deliveryId: `d-${jobId}-${String(round)}`,
    });
  }
  return steps.length;
};
