import type { FastifyInstance } from 'fastify';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import type { JobView } from '../../projections/job-view.js';
import type { MachineView } from '../../projections/machine-view.js';
import type { PoolView } from '../../projections/pool-view.js';
import type { ReadModels } from '../../projections/read-models.js';
import { mayRead } from './access.js';
import { errorBody } from './errors.js';

/**
 * Where the read API's answers come from: the in-memory read models of the embedded service (`readModelsSource`), or
 * the view store several replicas share (handlers/serve/view-store-source.ts).
 */
export interface ReadSource {
  jobs(): Promise<ReadonlyArray<JobView>>;
  job(jobId: string): Promise<JobView | undefined>;
  machines(): Promise<ReadonlyArray<readonly [string, MachineView]>>;
  pools(): Promise<ReadonlyArray<PoolView>>;
}

export const readModelsSource = (models: () => ReadModels): ReadSource => ({
  jobs: async () => [...models().jobs.values()],
  job: async (jobId) => models().job(jobId),
  machines: async () => [...models().machines.entries()],
  pools: async () => [...models().pools.values()],
});

/** The read API over the read models; a job's answer also carries its event timeline from the store. */
export type ApiDeps = {
  readonly readStream: (streamId: string) => Promise<ReadonlyArray<RecordedEvent>>;
  readonly apiToken: string | null;
  readonly allowlist: ReadonlyArray<string>;
} & ({ readonly source: ReadSource } | { readonly models: () => ReadModels });

/** What answers any caller: GitHub's deliveries (signature-checked) and the probes. Every other route is guarded. */
const OPEN_ROUTES: ReadonlySet<string> = new Set(['/webhook', '/healthz', '/readyz']);

const STATUSES = ['queued', 'provisioning', 'assigned', 'running', 'completed', 'cancelled', 'rejected', 'failed'];

const visible = (allowlist: ReadonlyArray<string>, job: JobView): boolean =>
  allowlist.length === 0 ||
  (job.repo !== null && allowlist.some((entry) => entry === job.repo || entry === job.repo?.split('/')[0]));

const summary = (job: JobView) => ({
  id: job.jobId,
  status: job.status === 'unknown' ? 'queued' : job.status,
  conclusion: job.conclusion,
  repo: job.repo,
  runId: job.runId,
  label: job.spec?.label ?? null,
  attempt: job.attempt,
  machineId: job.machineId,
  runnerName: job.runnerName,
  times: job.times,
  rejection: job.rejection,
  failure: job.failure,
  requeues: job.requeues,
});

const timeline = (events: ReadonlyArray<RecordedEvent>) =>
  events.map((e) => ({
    type: e.type,
    version: e.version,
    at: e.metadata.at,
    data: e.data,
    deliveryId: e.metadata.deliveryId,
  }));

/**
 * With an allowlist, a machine serving a job the allowlist hides is hidden too (its job id would name a foreign job);
 * pool members (no job) stay visible. Such jobs exist only if they were recorded before the allowlist was narrowed.
 */
const hidingForeignJobs = async (
  source: ReadSource,
  allowlist: ReadonlyArray<string>,
): Promise<ReadonlyArray<readonly [string, MachineView]>> => {
  const machines = await source.machines();
  if (allowlist.length === 0) return machines;
  const hidden = new Set((await source.jobs()).filter((job) => !visible(allowlist, job)).map((job) => job.jobId));

  return machines.filter(([, m]) => m.jobId === null || !hidden.has(m.jobId));
};

export const registerApiRoutes = (app: FastifyInstance, deps: ApiDeps): void => {
  const source = 'source' in deps ? deps.source : readModelsSource(deps.models);
  app.addHook('onRequest', async (request, reply) => {
    // Decided on the route the router matched, never on the raw URL: the router decodes percent-escapes, so a
    // prefix test on `request.url` let `/%61pi/jobs` and `/%6detrics` through without the token. Closed by default:
    // only the open routes skip the check (an unknown path is 401 too, not a 404 that maps the routes).
    const route = request.routeOptions.url;
    const guarded = route === undefined || !OPEN_ROUTES.has(route);
    if (guarded && !mayRead(request, deps.apiToken)) {
      await reply.code(401).send(errorBody('unauthorized', 'send Authorization: Bearer <RUNS_FLEET_API_TOKEN>'));
    }
  });

  app.get<{ Querystring: { status?: string; limit?: string } }>('/api/jobs', async (request, reply) => {
    const { status } = request.query;
    if (status !== undefined && !STATUSES.includes(status)) {
      return reply.code(400).send(errorBody('invalid-status', `status must be one of ${STATUSES.join(', ')}`));
    }
    const limit = Math.min(Number(request.query.limit ?? 500) || 500, 5000);
    const jobs = (await source.jobs())
      .filter((job) => visible(deps.allowlist, job))
      .map(summary)
      .filter((job) => status === undefined || job.status === status)
      .slice(0, limit);

    return { jobs };
  });

  app.get<{ Params: { id: string } }>('/api/jobs/:id', async (request, reply) => {
    const job = await source.job(request.params.id);
    if (job === undefined || !visible(deps.allowlist, job)) {
      return reply
        .code(404)
        .send(errorBody('not-found', `no job ${request.params.id} (foreign jobs are not recorded)`));
    }
    const events = await deps.readStream(`job#${request.params.id}`);

    return { ...summary(job), spec: job.spec, events: timeline(events) };
  });

  app.get('/api/machines', async () => ({
    machines: (await hidingForeignJobs(source, deps.allowlist)).map(([id, m]) => ({
      id,
      status: m.status,
      cloudId: m.cloudId,
      instanceType: m.instanceType,
      capacity: m.capacity,
      jobId: m.jobId,
      pool: m.pool,
      requestedAt: m.requestedAt,
      launchedAt: m.launchedAt,
      endedAt: m.endedAt,
      terminationReason: m.terminationReason,
    })),
  }));

  app.get('/api/pools', async () => ({ pools: await source.pools() }));
};
