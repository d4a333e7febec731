import * as E from 'fp-ts/lib/Either.js';
import type { ComputePort, LaunchedMachine, LaunchFailure } from '../../../domain/ports/compute.js';
import {
  GithubFailureError,
  type GithubFailure,
  type GithubJob,
  type GithubPort,
  type GithubRunner,
  type JitConfig,
} from '../../../domain/ports/github.js';
import type { RunnerConfig, RunnerConfigStore } from '../../../domain/ports/runner-config-store.js';
import type { SimJob } from '../github-payloads.js';
import type { SimMachineSnapshot } from '../sim-cloud.js';
import type { EnqueueInput, ObserveOutcome } from '../sim-github.js';
import { managedMachines } from '../managed.js';
import { path, ROUTES } from './wire.js';

/**
 * Clients of a `runs-fleet sim-cloud` process (THE SIMULATED CLOUD, shared by several orchestrators): the compute
 * port, the simulated parameter store and the simulated GitHub, over JSON. A non-2xx answer or a network failure is
 * thrown (transient: the command bus retries); GitHub's 404/403/409/422 come back as GithubFailureError, as in-process.
 */
export class SimCloudHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SimCloudHttpError';
  }
}

interface Call {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly body?: unknown;
  readonly query?: Record<string, string>;
}

type Requester = (route: string, call?: Call) => Promise<{ status: number; json: unknown }>;

const requester =
  (baseUrl: string, timeoutMs: number): Requester =>
  async (route, call = {}) => {
    const url = new URL(route, baseUrl);
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, value);
    const response = await fetch(url, {
      method: call.method ?? 'GET',
      ...(call.body === undefined
        ? {}
        : { body: JSON.stringify(call.body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();

    return { status: response.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
  };

const errorOf = (json: unknown): { code: string; message: string } => {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;

  return { code: String(error?.code ?? 'unknown'), message: String(error?.message ?? JSON.stringify(json)) };
};

const expectOk = (
  route: string,
  answer: { status: number; json: unknown },
  accept: ReadonlyArray<number> = [],
): unknown => {
  if ((answer.status >= 200 && answer.status < 300) || accept.includes(answer.status)) return answer.json;
  const { code, message } = errorOf(answer.json);
  if (code === 'not-found' || code === 'forbidden' || code === 'conflict' || code === 'invalid') {
    throw new GithubFailureError({ kind: code, message } satisfies GithubFailure);
  }
  throw new SimCloudHttpError(answer.status, `sim-cloud ${route}: ${String(answer.status)} ${message}`);
};

export interface SimCloudClient extends ComputePort {
  stop(machineIds: ReadonlyArray<string>): Promise<void>;
  start(machineIds: ReadonlyArray<string>): Promise<void>;
  interrupt(machineId: string): Promise<boolean>;
  machines(): Promise<ReadonlyArray<SimMachineSnapshot>>;
}

export const createSimCloudClient = (
  baseUrl: string,
  options: { readonly timeoutMs?: number } = {},
): SimCloudClient => {
  const request = requester(baseUrl, options.timeoutMs ?? 10_000);
  const post = async (route: string, body: unknown): Promise<unknown> =>
    expectOk(route, await request(route, { method: 'POST', body }));

  return {
    findByCommandId: async (commandId) => {
      const route = path(ROUTES.findByCommandId, { commandId });

      return (expectOk(route, await request(route)) as { machine: LaunchedMachine | null }).machine;
    },
    launch: async (command) => {
      const answer = (await post(ROUTES.launch, { command })) as { machine?: LaunchedMachine; failure?: LaunchFailure };
      if (answer.machine !== undefined) return E.right(answer.machine);
      if (answer.failure !== undefined) return E.left(answer.failure);
      throw new SimCloudHttpError(200, `sim-cloud ${ROUTES.launch}: neither machine nor failure in the answer`);
    },
    terminate: async (machineIds, reason) => void (await post(ROUTES.terminate, { machineIds, reason })),
    stop: async (machineIds) => void (await post(ROUTES.stop, { machineIds })),
    start: async (machineIds) => void (await post(ROUTES.start, { machineIds })),
    interrupt: async (machineId) =>
      ((await post(ROUTES.interrupt, { machineId })) as { interrupted: boolean }).interrupted,
    machines: async () =>
      (expectOk(ROUTES.machines, await request(ROUTES.machines)) as { machines: SimMachineSnapshot[] }).machines,
    // The sim-cloud process lists every machine it holds; the managed view is derived here from that answer.
    listManaged: async () =>
      managedMachines(
        (expectOk(ROUTES.machines, await request(ROUTES.machines)) as { machines: SimMachineSnapshot[] }).machines,
      ),
  };
};

/** The simulated parameter store of a sim-cloud process, as a RunnerConfigStore. */
export const createSimParameterStoreClient = (
  baseUrl: string,
  options: { readonly timeoutMs?: number } = {},
): RunnerConfigStore => {
  const request = requester(baseUrl, options.timeoutMs ?? 10_000);
  const route = (machineId: string): string => path(ROUTES.runnerConfig, { machineId });

  return {
    put: async (config) =>
      (
        expectOk(route(config.machineId), await request(route(config.machineId), { method: 'PUT', body: config })) as {
          ref: string;
        }
      ).ref,
    get: async (machineId) => {
      const answer = await request(route(machineId));

      return answer.status === 404 ? null : (expectOk(route(machineId), answer) as RunnerConfig);
    },
    delete: async (machineId) => void expectOk(route(machineId), await request(route(machineId), { method: 'DELETE' })),
  };
};

export interface SimGithubClient extends GithubPort {
  observe(payload: unknown): Promise<ObserveOutcome>;
  enqueue(input: EnqueueInput): Promise<SimJob>;
  jobs(): Promise<ReadonlyArray<SimJob>>;
}

/** The simulated GitHub hosted by a sim-cloud process, as a GithubPort (plus observe/enqueue/jobs). */
export const createSimGithubClient = (
  baseUrl: string,
  options: { readonly timeoutMs?: number } = {},
): SimGithubClient => {
  const request = requester(baseUrl, options.timeoutMs ?? 10_000);
  const post = async (route: string, body: unknown): Promise<unknown> =>
    expectOk(route, await request(route, { method: 'POST', body }));

  return {
    generateJitConfig: async (ref, runnerName, labels) =>
      (await post(ROUTES.githubJitConfig, {
        repo: ref.repo,
        installationId: ref.installationId,
        runnerName,
        labels,
      })) as JitConfig,
    getJob: async (ref, jobId) => {
      const route = path(ROUTES.githubJob, { jobId });
      const answer = await request(route, { query: { repo: ref.repo } });

      return answer.status === 404 ? null : (expectOk(route, answer) as GithubJob);
    },
    rerunJob: async (ref, jobId) => void (await post(path(ROUTES.githubRerun, { jobId }), { repo: ref.repo })),
    listRunners: (ref) =>
      (async function* (): AsyncIterable<GithubRunner> {
        const answer = await request(ROUTES.githubRunners, { query: { repo: ref.repo } });
        yield* (expectOk(ROUTES.githubRunners, answer) as { runners: GithubRunner[] }).runners;
      })(),
    deleteRunner: async (ref, runnerId) => {
      const route = path(ROUTES.githubRunner, { runnerId });
      expectOk(route, await request(route, { method: 'DELETE', query: { repo: ref.repo } }));
    },
    observe: async (payload) => ((await post(ROUTES.githubObserve, payload)) as { outcome: ObserveOutcome }).outcome,
    enqueue: async (input) => ((await post(ROUTES.githubEnqueue, input)) as { job: SimJob }).job,
    jobs: async () => (expectOk(ROUTES.githubJobs, await request(ROUTES.githubJobs)) as { jobs: SimJob[] }).jobs,
  };
};
