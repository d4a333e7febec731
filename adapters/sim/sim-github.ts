import { Webhooks } from '@octokit/webhooks';
import {
  GithubFailureError,
  type GithubJob,
  type GithubPort,
  type GithubRunner,
  type JitConfig,
  type RepoRef,
} from '../../domain/ports/github.js';
import {
  githubTime,
  readWorkflowJob,
  workflowJobPayload,
  type ObservedWorkflowJob,
  type SimJob,
  type SimJobStatus,
} from './github-payloads.js';
import { randomInt, randomUuid, seededRandom, type Random } from './random.js';
import { errorMessage, silentLogger, simLogger, type SimLogger } from './sim-log.js';
import { backoffMs, sleep } from './timers.js';

/**
 * THE SIMULATED GITHUB (DESIGN section 6). Nothing here talks to github.com. It implements the GithubPort the
 * orchestrator calls (JIT configs that are visibly fake, jobs, re-runs, runner registrations) and closes the loop
 * in embedded mode: it posts signed `workflow_job` webhooks (`queued`, `in_progress`, `completed`) to the service
 * over real HTTP, as GitHub does, and hands queued jobs to simulated runners the way GitHub dispatches: by labels,
 * to ANY matching runner, oldest job first (SPEC section 14, lesson 1; a runner may take a sibling's job: that is
 * GitHub's behaviour, reproduced on purpose). Every log line carries `sim: true`.
 */
export type { SimJob, SimJobStatus } from './github-payloads.js';

export interface SimRunner {
  readonly id: number;
  readonly name: string;
  /** Repo-scoped registrations (SPEC section 7), or null when the runner's scope is unknown (takes any repo). */
  readonly repo: string | null;
  readonly labels: ReadonlyArray<string>;
  readonly status: 'online' | 'offline';
  readonly busy: boolean;
  /** JIT configs are one-shot: a second registration with the same config is refused. */
  readonly jitUsed: boolean;
}

export interface SimGithubOptions {
  /** Where webhooks go (the service's `/webhook`); null sends none (a simulated GitHub nobody listens to). */
  readonly webhookUrl: string | null;
  readonly webhookSecret: string;
  readonly random?: Random;
  /** Seeds `random` when it is not given (default 1). */
  readonly seed?: number;
  readonly logger?: SimLogger;
  readonly now?: () => Date;
  /** Sent as `installation.id` (App webhooks carry it); default none. */
  readonly installationId?: number | null;
  /** A failing POST (network, 5xx, 429) is redelivered with backoff: default 5 attempts, 500 ms doubling, cap 30 s. */
  readonly redelivery?: { readonly attempts?: number; readonly baseMs?: number; readonly maxMs?: number };
}

export interface EnqueueInput {
  readonly repo: string;
  readonly labels: ReadonlyArray<string>;
  readonly runId?: string;
  readonly name?: string;
  readonly workflowName?: string;
}

export type ObserveOutcome = 'added' | 'updated' | 'unchanged' | 'ignored';

export type RegisterOutcome =
  { readonly ok: true; readonly runnerId: number } | { readonly ok: false; readonly reason: string };

/** What the simulated agent uses: the runner's side of GitHub. */
export interface SimGithubRunnerSide {
  registerRunner(input: {
    readonly encodedJitConfig: string;
    readonly runnerName: string;
    readonly labels: ReadonlyArray<string>;
    readonly repo: string | null;
  }): RegisterOutcome;
  /** GitHub's dispatch: the oldest queued job whose labels (except `self-hosted`) are all among the runner's. */
  takeJob(runnerName: string, runnerLabels: ReadonlyArray<string>): SimJob | null;
  /** The runner finished (or lost) its job: GitHub concludes it and removes the ephemeral runner. */
  completeJob(jobId: string, conclusion: 'success' | 'failure' | 'cancelled'): void;
  /** The runner's process went away without a job: the registration stays, offline (SPEC lesson 12). */
  runnerExited(runnerName: string): void;
}

export interface SimGithub extends GithubPort, SimGithubRunnerSide {
  /** Every accepted `workflow_job` webhook, so jobs posted straight to /webhook become known here. */
  observe(payload: unknown): ObserveOutcome;
  /** Creates a job and sends its `queued` webhook (demos, soaks). */
  enqueue(input: EnqueueInput): SimJob;
  jobs(): ReadonlyArray<SimJob>;
  runners(): ReadonlyArray<SimRunner>;
  /** Resolves when no webhook delivery is in flight. */
  settled(): Promise<void>;
  /** Where later webhooks go (a service learns its port after it has been built). */
  setWebhookUrl(url: string | null): void;
  /** Stops redelivering; deliveries still waiting are dropped (and logged). */
  close(): void;
}

interface SimJitConfig {
  readonly sim: true;
  readonly runnerId: number;
  readonly runnerName: string;
  readonly repo: string | null;
  readonly labels: ReadonlyArray<string>;
}

const encodeJit = (config: Omit<SimJitConfig, 'sim'>): string =>
  Buffer.from(
    JSON.stringify({
      sim: true,
      note: 'simulated JIT config from runs-fleet sim-github; not valid at GitHub',
      ...config,
    }),
  ).toString('base64');

const decodeJit = (encoded: string): SimJitConfig | null => {
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    if (typeof value !== 'object' || value === null || !('sim' in value) || value.sim !== true) return null;

    return value as SimJitConfig;
  } catch {
    return null;
  }
};

const SELF_HOSTED = 'self-hosted';

/** GitHub's label matching: case-insensitive, and every self-hosted runner has `self-hosted`. */
export const labelsMatch = (jobLabels: ReadonlyArray<string>, runnerLabels: ReadonlyArray<string>): boolean => {
  const offered = new Set(runnerLabels.map((label) => label.toLowerCase()));

  return jobLabels.every((label) => label.toLowerCase() === SELF_HOSTED || offered.has(label.toLowerCase()));
};

const toGithubJob = (job: SimJob): GithubJob => ({
  id: job.id,
  status: job.status,
  conclusion: job.conclusion,
  runnerName: job.runnerName,
  labels: job.labels,
});

export const createSimGithub = (options: SimGithubOptions): SimGithub => {
  const random = options.random ?? seededRandom(options.seed ?? 1);
  const log = simLogger(options.logger ?? silentLogger, 'sim-github');
  const now = (): string => githubTime((options.now ?? (() => new Date()))());
  const installationId = options.installationId ?? null;
  const attempts = Math.max(1, options.redelivery?.attempts ?? 5);
  const baseMs = options.redelivery?.baseMs ?? 500;
  const maxMs = options.redelivery?.maxMs ?? 30_000;
  const signer = new Webhooks({ secret: options.webhookSecret });
  const closed = new AbortController();
  let webhookUrl = options.webhookUrl;

  const jobs = new Map<string, SimJob>();
  /** The queued jobs, oldest first: what dispatch scans (a soak holds thousands of finished jobs). */
  const queued = new Map<string, SimJob>();
  const put = (job: SimJob): void => {
    jobs.set(job.id, job);
    if (job.status === 'queued') queued.set(job.id, job);
    else queued.delete(job.id);
  };
  const firstQueued = (accept: (job: SimJob) => boolean): SimJob | undefined => {
    for (const job of queued.values()) if (accept(job)) return job;

    return undefined;
  };
  const runners = new Map<number, SimRunner>();
  let nextJobId = randomInt(random, 10_000_000_000, 11_000_000_000);
  let nextRunId = randomInt(random, 5_000_000_000, 6_000_000_000);
  let nextRunnerId = randomInt(random, 1_000, 9_000);
  /** Deliveries of one job go out in order (GitHub does not promise it; the demo is easier to follow). */
  const chains = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();

  const post = async (body: string, signature: string, deliveryId: string, url: string): Promise<number> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/sim',
        'x-github-event': 'workflow_job',
        'x-github-delivery': deliveryId,
        'x-hub-signature-256': signature,
      },
      body,
      signal: AbortSignal.any([closed.signal, AbortSignal.timeout(10_000)]),
    });
    await response.arrayBuffer().catch(() => undefined);

    return response.status;
  };

  const deliver = async (action: SimJobStatus, job: SimJob, body: string, deliveryId: string): Promise<void> => {
    const url = webhookUrl;
    if (url === null) return;
    const context = { deliveryId, jobId: job.id, action };
    const signature = await signer.sign(body);
    for (let attempt = 0; attempt < attempts && !closed.signal.aborted; attempt += 1) {
      const outcome = await post(body, signature, deliveryId, url).catch((e: unknown) => errorMessage(e));
      if (outcome === 429 || typeof outcome === 'string' || outcome >= 500) {
        log.warn({ ...context, attempt: attempt + 1, outcome }, 'simulated webhook delivery failed; redelivering');
        await sleep(backoffMs(attempt, baseMs, maxMs), closed.signal);
        continue;
      }
      if (outcome >= 400) log.warn({ ...context, status: outcome }, 'simulated webhook refused by the service');
      else log.info({ ...context, status: outcome }, 'simulated webhook delivered');

      return;
    }
    log.error({ ...context, attempts }, 'simulated webhook dropped after redeliveries');
  };

  /** The payload is taken now (the job as it is at this action); delivery happens in the background. */
  const send = (action: SimJobStatus, job: SimJob): void => {
    const body = JSON.stringify(workflowJobPayload(action, job, installationId));
    const deliveryId = randomUuid(random);
    const previous = chains.get(job.id) ?? Promise.resolve();
    const next = previous.then(() => deliver(action, job, body, deliveryId));
    chains.set(job.id, next);
    inFlight.add(next);
    void next.finally(() => {
      inFlight.delete(next);
      if (chains.get(job.id) === next) chains.delete(job.id);
    });
  };

  const update = (id: string, change: Partial<SimJob>): SimJob => {
    const job = { ...(jobs.get(id) as SimJob), ...change };
    put(job);

    return job;
  };

  /** Runner ids by name (the last registration of a name), so a dispatch poll does not scan every runner. */
  const idByName = new Map<string, number>();
  const runnerByName = (name: string): SimRunner | undefined => {
    const id = idByName.get(name);

    return id === undefined ? undefined : runners.get(id);
  };

  const setRunner = (runner: SimRunner): void => {
    runners.set(runner.id, runner);
    idByName.set(runner.name, runner.id);
  };
  const dropRunner = (runner: SimRunner): void => {
    runners.delete(runner.id);
    if (idByName.get(runner.name) === runner.id) idByName.delete(runner.name);
  };

  const createJob = (input: EnqueueInput & { readonly runAttempt?: number }): SimJob => {
    const job: SimJob = {
      id: String(nextJobId++),
      runId: input.runId ?? String(nextRunId++),
      runAttempt: input.runAttempt ?? 1,
      repo: input.repo,
      labels: [...input.labels],
      name: input.name ?? 'build',
      workflowName: input.workflowName ?? 'CI',
      status: 'queued',
      conclusion: null,
      runnerName: null,
      runnerId: null,
      createdAt: now(),
      startedAt: null,
      completedAt: null,
      origin: 'simulated',
    };
    put(job);
    log.info(
      { jobId: job.id, runId: job.runId, runAttempt: job.runAttempt, repo: job.repo, labels: job.labels },
      'simulated job queued',
    );
    send('queued', job);

    return job;
  };

  const fromObserved = (seen: ObservedWorkflowJob, status: SimJobStatus): SimJob => ({
    id: seen.id,
    runId: seen.runId,
    runAttempt: seen.runAttempt,
    repo: seen.repo,
    labels: seen.labels,
    name: seen.name ?? 'build',
    workflowName: seen.workflowName ?? 'CI',
    status,
    conclusion: status === 'completed' ? (seen.conclusion ?? 'success') : null,
    runnerName: status === 'queued' ? null : seen.runnerName,
    runnerId: status === 'queued' ? null : seen.runnerId,
    createdAt: seen.createdAt ?? now(),
    startedAt: status === 'queued' ? null : (seen.startedAt ?? now()),
    completedAt: status === 'completed' ? (seen.completedAt ?? now()) : null,
    origin: 'observed',
  });

  const observe = (payload: unknown): ObserveOutcome => {
    const seen = readWorkflowJob(payload);
    if (seen === null) return 'ignored';
    if (seen.action !== 'queued' && seen.action !== 'in_progress' && seen.action !== 'completed') return 'ignored';
    const known = jobs.get(seen.id);
    if (known === undefined) {
      put(fromObserved(seen, seen.action));
      log.info(
        { jobId: seen.id, action: seen.action, labels: seen.labels },
        'simulated GitHub learnt a job from a webhook',
      );

      return 'added';
    }
    // Only forward: a late `queued` never reopens a job, an `in_progress` never reopens a completed one.
    const rank = { queued: 0, in_progress: 1, completed: 2 } as const;
    if (rank[seen.action] <= rank[known.status]) return 'unchanged';
    const observed = fromObserved(seen, seen.action);
    update(seen.id, {
      status: observed.status,
      conclusion: observed.conclusion,
      runnerName: observed.runnerName ?? known.runnerName,
      runnerId: observed.runnerId ?? known.runnerId,
      startedAt: known.startedAt ?? observed.startedAt,
      completedAt: observed.completedAt,
    });

    return 'updated';
  };

  const registerRunner: SimGithubRunnerSide['registerRunner'] = (input) => {
    const jit = decodeJit(input.encodedJitConfig);
    if (jit === null)
      return { ok: false, reason: 'not a simulated JIT config (the simulated GitHub cannot register it)' };
    const known = runners.get(jit.runnerId);
    if (known?.jitUsed === true)
      return { ok: false, reason: `JIT config of runner ${jit.runnerName} was already used` };
    // A config from another simulated GitHub (an orchestrator's own, in remote sim-cloud mode) registers afresh.
    const id = known === undefined ? nextRunnerId++ : known.id;
    const repo = jit.repo ?? input.repo;
    setRunner({
      id,
      name: jit.runnerName,
      repo,
      labels: [...jit.labels],
      status: 'online',
      busy: false,
      jitUsed: true,
    });
    log.info({ runnerId: id, runnerName: jit.runnerName, repo, labels: jit.labels }, 'simulated runner registered');

    return { ok: true, runnerId: id };
  };

  const takeJob: SimGithubRunnerSide['takeJob'] = (runnerName, runnerLabels) => {
    const runner = runnerByName(runnerName);
    if (runner?.busy === true) return null;
    const scope = runner?.repo ?? null;
    const job = firstQueued(
      (candidate) => (scope === null || candidate.repo === scope) && labelsMatch(candidate.labels, runnerLabels),
    );
    if (job === undefined) return null;
    const taken = update(job.id, {
      status: 'in_progress',
      runnerName,
      runnerId: runner?.id ?? null,
      startedAt: now(),
    });
    if (runner !== undefined) setRunner({ ...runner, busy: true });
    log.info(
      { jobId: job.id, runnerName, labels: job.labels },
      'simulated GitHub dispatched a job to a runner (label match)',
    );
    send('in_progress', taken);

    return taken;
  };

  const completeJob: SimGithubRunnerSide['completeJob'] = (jobId, conclusion) => {
    const job = jobs.get(jobId);
    if (job === undefined) return;
    const runner = job.runnerName === null ? undefined : runnerByName(job.runnerName);
    // Ephemeral runners are removed by GitHub once their job is done (also one cancelled meanwhile).
    if (runner !== undefined) dropRunner(runner);
    if (job.status === 'completed') return;
    const done = update(jobId, { status: 'completed', conclusion, completedAt: now() });
    log.info({ jobId, conclusion, runnerName: job.runnerName }, 'simulated job completed');
    send('completed', done);
  };

  const runnerExited: SimGithubRunnerSide['runnerExited'] = (runnerName) => {
    const runner = runnerByName(runnerName);
    if (runner !== undefined) setRunner({ ...runner, status: 'offline', busy: false });
  };

  const jobIn = (ref: RepoRef, jobId: string): SimJob | null => {
    const job = jobs.get(jobId);

    return job !== undefined && job.repo === ref.repo ? job : null;
  };

  const port: GithubPort = {
    generateJitConfig: async (ref, runnerName, labels): Promise<JitConfig> => {
      const stale = [...runners.values()].find((r) => r.name === runnerName && r.repo === ref.repo);
      if (stale !== undefined) {
        // GitHub answers 409; the App adapter deletes the stale registration and asks once more. Same here.
        dropRunner(stale);
        log.warn({ runnerName, runnerId: stale.id }, 'runner name existed (409): stale registration replaced');
      }
      const runnerId = nextRunnerId++;
      setRunner({
        id: runnerId,
        name: runnerName,
        repo: ref.repo,
        labels: [...labels],
        status: 'offline',
        busy: false,
        jitUsed: false,
      });
      log.info(
        { runnerId, runnerName, repo: ref.repo, labels },
        'simulated JIT config generated (fake, not valid at GitHub)',
      );

      return { runnerId, runnerName, encodedJitConfig: encodeJit({ runnerId, runnerName, repo: ref.repo, labels }) };
    },
    getJob: async (ref, jobId) => {
      const job = jobIn(ref, jobId);

      return job === null ? null : toGithubJob(job);
    },
    rerunJob: async (ref, jobId) => {
      const job = jobIn(ref, jobId);
      if (job === null)
        throw new GithubFailureError({ kind: 'not-found', message: `job ${jobId} not found in ${ref.repo}` });
      if (job.status !== 'completed') {
        throw new GithubFailureError({
          kind: 'forbidden',
          message: `job ${jobId} is ${job.status}; only a completed job can be re-run`,
        });
      }
      const attempts = [...jobs.values()].filter((j) => j.repo === job.repo && j.runId === job.runId);
      const runAttempt = Math.max(...attempts.map((j) => j.runAttempt)) + 1;
      // GitHub gives the re-run a NEW job id under the same run, one attempt later, and sends its `queued` webhook.
      createJob({
        repo: job.repo,
        labels: job.labels,
        runId: job.runId,
        name: job.name,
        workflowName: job.workflowName,
        runAttempt,
      });
    },
    listRunners: (ref) => {
      const scoped = [...runners.values()].filter((runner) => runner.repo === ref.repo);

      return (async function* (): AsyncIterable<GithubRunner> {
        for (const { id, name, status, busy } of scoped) yield { id, name, status, busy };
      })();
    },
    deleteRunner: async (ref, runnerId) => {
      const runner = runners.get(runnerId);
      if (runner === undefined || runner.repo !== ref.repo) return;
      if (runner.busy) {
        // GitHub answers 422 for a busy runner.
        throw new GithubFailureError({ kind: 'invalid', message: `runner ${runner.name} is still running a job` });
      }
      dropRunner(runner);
    },
  };

  return {
    ...port,
    registerRunner,
    takeJob,
    completeJob,
    runnerExited,
    observe,
    enqueue: (input) => createJob(input),
    jobs: () => [...jobs.values()],
    runners: () => [...runners.values()],
    settled: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    setWebhookUrl: (url) => {
      webhookUrl = url;
    },
    close: () => closed.abort(),
  };
};
