import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { ProvisionCommand } from '../../../domain/commands/commands.js';
import { GithubFailureError } from '../../../domain/ports/github.js';
import type { RunnerConfigStore } from '../../../domain/ports/runner-config-store.js';
import { formatValidationErrors } from '../../../domain/shared/validation-errors.js';
import { createSimCloud, type SimCloud, type SimCloudOptions } from '../sim-cloud.js';
import type { SimGithub } from '../sim-github.js';
import { createSimParameterStore } from '../sim-parameter-store.js';
import {
  EnqueueBody,
  InterruptBody,
  JitConfigBody,
  MachineIdsBody,
  RepoBody,
  ROUTES,
  RunnerConfigBody,
  TerminateBody,
} from './wire.js';

/**
 * `runs-fleet sim-cloud`: THE SIMULATED CLOUD as its own process, which several orchestrators share (DESIGN section
 * 6; the fault soak runs concurrent orchestrators against one). JSON over HTTP on loopback:
 *
 * - compute: launch, find by commandId, terminate, stop, start, interrupt, list machines;
 * - the simulated parameter store (runner configs for the simulated machines, as SSM is on AWS);
 * - with a simulated GitHub: its GithubPort calls, `observe`, `enqueue` and the job list.
 *
 * Lifecycle reports: the `report` hook (SimCloudOptions.report) is where this process's machines' facts go; the
 * command wires it to an append to the event store named by `--store`. Nothing here is real: no instance, no GitHub.
 */
export interface SimCloudServerOptions extends Omit<SimCloudOptions, 'runnerConfigs' | 'github'> {
  /** A simulated GitHub hosted by this process; with it, machines run the simulated agent. */
  readonly github?: SimGithub;
}

export interface SimCloudServer {
  readonly app: FastifyInstance;
  readonly cloud: SimCloud;
  readonly parameterStore: RunnerConfigStore;
  readonly github: SimGithub | null;
  /** Listens on 127.0.0.1 (port 0: any free port) and returns the base URL. */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const errorBody = (code: string, message: string) => ({ error: { code, message } });

const decode = <A>(codec: t.Decoder<unknown, A>, body: unknown, reply: FastifyReply): A | null => {
  const decoded = codec.decode(body);
  if (E.isRight(decoded)) return decoded.right;
  void reply.code(400).send(errorBody('invalid-body', formatValidationErrors(decoded.left)));

  return null;
};

const GITHUB_STATUS = { 'not-found': 404, forbidden: 403, conflict: 409, invalid: 422 } as const;

const registerComputeRoutes = (app: FastifyInstance, cloud: SimCloud): void => {
  app.post(ROUTES.launch, async (request, reply) => {
    const command = decode(ProvisionCommand, (request.body as { command?: unknown } | null)?.command, reply);
    if (command === null) return reply;
    const outcome = await cloud.launch(command);

    return E.isRight(outcome) ? { machine: outcome.right } : { failure: outcome.left };
  });
  app.get(ROUTES.findByCommandId, async (request) => ({
    machine: await cloud.findByCommandId((request.params as { commandId: string }).commandId),
  }));
  app.get(ROUTES.machines, async () => ({ sim: true, machines: cloud.machines() }));
  app.post(ROUTES.terminate, async (request, reply) => {
    const body = decode(TerminateBody, request.body, reply);
    if (body === null) return reply;
    await cloud.terminate(body.machineIds, body.reason);

    return {};
  });
  app.post(ROUTES.stop, async (request, reply) => {
    const body = decode(MachineIdsBody, request.body, reply);
    if (body === null) return reply;
    await cloud.stop(body.machineIds);

    return {};
  });
  app.post(ROUTES.start, async (request, reply) => {
    const body = decode(MachineIdsBody, request.body, reply);
    if (body === null) return reply;
    await cloud.start(body.machineIds);

    return {};
  });
  app.post(ROUTES.interrupt, async (request, reply) => {
    const body = decode(InterruptBody, request.body, reply);
    if (body === null) return reply;

    return { interrupted: await cloud.interrupt(body.machineId) };
  });
};

const registerParameterStoreRoutes = (app: FastifyInstance, store: RunnerConfigStore): void => {
  app.put(ROUTES.runnerConfig, async (request, reply) => {
    const config = decode(RunnerConfigBody, request.body, reply);
    if (config === null) return reply;
    if (config.machineId !== (request.params as { machineId: string }).machineId) {
      return reply.code(400).send(errorBody('invalid-body', 'machineId differs from the path'));
    }

    return { ref: await store.put(config) };
  });
  app.get(ROUTES.runnerConfig, async (request, reply) => {
    const config = await store.get((request.params as { machineId: string }).machineId);

    return config === null ? reply.code(404).send(errorBody('not-found', 'no runner config')) : config;
  });
  app.delete(ROUTES.runnerConfig, async (request, reply) => {
    await store.delete((request.params as { machineId: string }).machineId);

    return reply.code(204).send();
  });
};

const registerGithubRoutes = (app: FastifyInstance, github: SimGithub): void => {
  const repoOf = (query: unknown): string => String((query as { repo?: unknown } | null)?.repo ?? '');
  app.post(ROUTES.githubObserve, async (request) => ({ outcome: github.observe(request.body) }));
  app.post(ROUTES.githubEnqueue, async (request, reply) => {
    const body = decode(EnqueueBody, request.body, reply);

    return body === null ? reply : { job: github.enqueue(body) };
  });
  app.get(ROUTES.githubJobs, async () => ({ sim: true, jobs: github.jobs() }));
  app.get(ROUTES.githubJob, async (request, reply) => {
    const ref = { repo: repoOf(request.query), installationId: null };
    const job = await github.getJob(ref, (request.params as { jobId: string }).jobId);

    return job === null ? reply.code(404).send(errorBody('not-found', 'no such job')) : job;
  });
  app.post(ROUTES.githubRerun, async (request, reply) => {
    const body = decode(RepoBody, request.body, reply);
    if (body === null) return reply;
    await github.rerunJob({ repo: body.repo, installationId: null }, (request.params as { jobId: string }).jobId);

    return {};
  });
  app.post(ROUTES.githubJitConfig, async (request, reply) => {
    const body = decode(JitConfigBody, request.body, reply);
    if (body === null) return reply;

    return github.generateJitConfig(
      { repo: body.repo, installationId: body.installationId },
      body.runnerName,
      body.labels,
    );
  });
  app.get(ROUTES.githubRunners, async (request) => {
    const runners = [];
    for await (const runner of github.listRunners({ repo: repoOf(request.query), installationId: null }))
      runners.push(runner);

    return { runners };
  });
  app.delete(ROUTES.githubRunner, async (request, reply) => {
    const runnerId = Number((request.params as { runnerId: string }).runnerId);
    await github.deleteRunner({ repo: repoOf(request.query), installationId: null }, runnerId);

    return reply.code(204).send();
  });
};

export const createSimCloudServer = (options: SimCloudServerOptions): SimCloudServer => {
  const parameterStore = createSimParameterStore();
  const github = options.github ?? null;
  const cloud = createSimCloud({ ...options, ...(github === null ? {} : { runnerConfigs: parameterStore, github }) });
  const app = Fastify({ logger: false, return503OnClosing: true });
  app.setErrorHandler((error: { message: string; statusCode?: number }, _request, reply) => {
    if (error instanceof GithubFailureError) {
      return reply.code(GITHUB_STATUS[error.failure.kind]).send(errorBody(error.failure.kind, error.failure.message));
    }

    return reply.code(error.statusCode ?? 500).send(errorBody('internal', error.message));
  });
  app.get('/healthz', async () => ({ ok: true, sim: true }));
  registerComputeRoutes(app, cloud);
  registerParameterStoreRoutes(app, parameterStore);
  if (github !== null) registerGithubRoutes(app, github);

  return {
    app,
    cloud,
    parameterStore,
    github,
    listen: async (port, host = '127.0.0.1') => {
      await app.listen({ port, host });
      const address = app.server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;

      return `http://${host}:${String(bound)}`;
    },
    close: async () => {
      cloud.close();
      github?.close();
      await app.close();
    },
  };
};
