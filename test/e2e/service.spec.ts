import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import { mayRead } from '../../handlers/http/access.js';
import { createLogger } from '../../handlers/observability/logger.js';
import { collectRaw, loadConfig } from '../../handlers/serve/config.js';
import { startService, type RunningService } from '../../handlers/serve/service.js';
import {
  getJson,
  jobPayload,
  metricValue,
  pollUntil,
  waitForJob,
  webhookPoster,
  type JobAnswer,
  type Poster,
} from './e2e-helpers.js';

/**
 * The embedded service end to end, in this process: `startService` with the SQLite store in a temporary data folder,
 * the in-process bus, the simulated cloud and the simulated GitHub (short delays), on a real socket. Real
 * `workflow_job` payloads are signed and posted over HTTP; everything after the `queued` webhook (launch, boot, the
 * runner taking the job, GitHub's `in_progress` and `completed` webhooks) comes from the service and the simulation.
 */
const SECRET = 'e2e-webhook-secret-0123456789';
const API_TOKEN = 'e2e-api-token-abcdefghijklmnop';
const JOB_DEADLINE_MS = 8_000;

const JOB_EVENTS = ['JobQueued', 'RunnerRequested', 'RunnerAssigned', 'JobStarted', 'JobCompleted'];
const MACHINE_EVENTS = [
  'MachineRequested',
  'RunnerConfigPrepared',
  'MachineLaunched',
  'MachineRunning',
  'RunnerRegistered',
  'MachineTerminated',
];

/** A non-loopback address of this host, to reach the service as a remote caller would (none: that test is skipped). */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

let dir: string;
let service: RunningService;
let logs: string[];
let webhook: Poster;

const start = async (settings: Record<string, string> = {}) => {
  const raw = collectRaw(
    {
      ...settings,
      RUNS_FLEET_WEBHOOK_SECRET: SECRET,
      RUNS_FLEET_API_TOKEN: API_TOKEN,
      RUNS_FLEET_SIM_BOOT_DELAY_MS: '200',
      RUNS_FLEET_SIM_JOB_DURATION_MS: '300',
      RUNS_FLEET_SIM_SEED: '11',
    },
    // 0.0.0.0 so that a non-loopback caller can be tried; the tests themselves call 127.0.0.1.
    { port: '0', host: '0.0.0.0', dataDir: dir },
  );
  const config = loadConfig(raw);
  if (E.isLeft(config)) throw new Error(JSON.stringify(config.left));
  const destination = new Writable({ write: (chunk, _e, done) => void (logs.push(String(chunk)), done()) });
  service = await startService(config.right, createLogger({ level: 'info', destination }));
  webhook = webhookPoster(service.url, SECRET);
};

const metrics = async () => (await fetch(`${service.url}/metrics`)).text();

const readStream = async (streamId: string) => {
  const store = await openSqliteEventStore(join(dir, 'events.db'));
  try {
    return await store.read(streamId);
  } finally {
    await store.close();
  }
};

const machinesApi = async () =>
  (
    await getJson<{ machines: Array<{ id: string; status: string; jobId: string | null }> }>(
      `${service.url}/api/machines`,
    )
  ).body.machines;

/** Every machine known to the API and the cloud has terminated (so its stream is complete). */
const allTerminated = async () =>
  pollUntil(
    machinesApi,
    (machines) =>
      machines.every((m) => m.status === 'terminated') && service.sim.machines().every((m) => m.state === 'terminated'),
    JOB_DEADLINE_MS,
  );

/**
 * The machine's stream: every lifecycle step once, in an order the lifecycle allows, and exactly one launch (by the
 * machine stream's commandIds and by the simulated cloud).
 */
const expectOneLaunchLifecycle = async (machineId: string) => {
  const machineEvents = await readStream(`machine#${machineId}`);
  const types = machineEvents.map((e) => e.type);
  expect([...types].sort()).toEqual([...MACHINE_EVENTS].sort());
  const at = (type: string) => types.indexOf(type);
  // Fixed points: the claim comes first, termination last, and the machine runs before its runner registers (the
  // agent starts at boot). The launch outcome and the config record race the cloud's reports; either order is valid.
  expect(at('MachineRequested')).toBe(0);
  expect(at('MachineRunning')).toBeLessThan(at('RunnerRegistered'));
  expect(at('MachineTerminated')).toBe(types.length - 1);

  const launches = machineEvents.filter((e) => e.type === 'MachineLaunched');
  expect(launches).toHaveLength(1);
  expect(launches[0]?.data).toMatchObject({ adopted: false });
  const requested = machineEvents[0];
  expect(launches[0]?.metadata.commandId).toBe(requested?.metadata.commandId);
  // Each command-carried outcome names its command; the launch command is not among the others.
  const prepared = machineEvents.find((e) => e.type === 'RunnerConfigPrepared');
  expect(prepared?.metadata.commandId).toEqual(expect.any(String));
  expect(prepared?.metadata.commandId).not.toBe(requested?.metadata.commandId);
  expect(requested?.data).toMatchObject({ command: { type: 'LaunchMachine' } });
  expect(service.sim.machines()).toHaveLength(1);
  expect(service.sim.machines()[0]).toMatchObject({
    machineId,
    commandId: requested?.metadata.commandId,
    jobId: null,
    state: 'terminated',
  });
};

const completed = (job: JobAnswer | null) => job?.status === 'completed';

describe('[http] [sqlite] embedded service end to end: signed webhooks → simulated machine → completed', () => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runs-fleet-e2e-service-'));
    logs = [];
    await start();
  });

  afterEach(async () => {
    try {
      await service.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a real queued payload to completed through the simulated machine and GitHub', async () => {
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, quarantined: [] });

    const jobId = 7_100_000_001;
    const answer = await webhook.post(jobPayload('queued', jobId), 'delivery-happy-1');
    expect(answer).toEqual({
      status: 200,
      body: { recorded: ['JobQueued', 'RunnerRequested'], jobId: String(jobId) },
    });

    const job = await waitForJob(service.url, jobId, completed, JOB_DEADLINE_MS);
    expect(job).toMatchObject({ id: String(jobId), status: 'completed', conclusion: 'success', requeues: [] });
    expect(job?.events.every((e) => typeof e.type === 'string' && typeof e.version === 'number')).toBe(true);
    expect(job?.events.map((e) => e.type)).toEqual(JOB_EVENTS);
    expect(job?.events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
    expect(job?.events[0]?.deliveryId).toBe('delivery-happy-1');
    const machineId = job?.machineId;
    expect(machineId).toEqual(expect.any(String));

    // The machine's stream, and the commands carried out: one launch for the job.
    await allTerminated();
    await expectOneLaunchLifecycle(machineId ?? '');
    const text = await metrics();
    expect(metricValue(text, 'runs_fleet_commands_total', { type: 'LaunchMachine', outcome: 'ok' })).toBe(1);
    expect(metricValue(text, 'runs_fleet_commands_total', { type: 'LaunchMachine', outcome: 'failed' })).toBe(0);
    // The queued webhook from the test, in_progress and completed from the simulated GitHub.
    expect(metricValue(text, 'runs_fleet_webhooks_total', { result: 'recorded' })).toBe(3);
    expect(metricValue(text, 'runs_fleet_webhooks_total', { result: 'unauthorized' })).toBe(0);

    // Secrets never reach the logs.
    const logText = logs.join('');
    expect(logText).not.toContain(SECRET);
    expect(logText).not.toContain(API_TOKEN);
  });

  it('one job, one launch: the same delivery three times and another delivery of the same job, concurrently', async () => {
    const jobId = 7_100_000_002;
    const payload = jobPayload('queued', jobId);
    const answers = await Promise.all([
      webhook.post(payload, 'delivery-dup-1'),
      webhook.post(payload, 'delivery-dup-1'),
      webhook.post(payload, 'delivery-dup-1'),
      webhook.post(payload, 'delivery-dup-2'),
    ]);
    // Every one is acknowledged (GitHub must not redeliver); exactly one recorded the job.
    expect(answers.map((a) => a.status).every((s) => s === 200 || s === 202)).toBe(true);
    expect(answers.filter((a) => (a.body as { recorded?: unknown }).recorded !== undefined)).toHaveLength(1);
    // And a redelivery afterwards is recognised by its X-GitHub-Delivery.
    expect(await webhook.post(payload, 'delivery-dup-1')).toEqual({
      status: 200,
      body: { duplicate: true, jobId: String(jobId) },
    });

    const job = await waitForJob(service.url, jobId, completed, JOB_DEADLINE_MS);
    expect(job?.status).toBe('completed');
    expect(job?.events.map((e) => e.type)).toEqual(JOB_EVENTS);
    // A late `queued` (another delivery after completion) changes nothing and launches nothing.
    expect((await webhook.post(payload, 'delivery-dup-3')).status).toBe(202);

    const machines = await allTerminated();
    expect(machines).toHaveLength(1);
    expect(machines[0]?.jobId).toBe(String(jobId));
    expect(service.sim.machines()).toHaveLength(1);
    const text = await metrics();
    expect(metricValue(text, 'runs_fleet_commands_total', { type: 'LaunchMachine', outcome: 'ok' })).toBe(1);
    expect(metricValue(text, 'runs_fleet_webhooks_total', { result: 'duplicate' })).toBeGreaterThanOrEqual(1);
    const after = await getJson<JobAnswer>(`${service.url}/api/jobs/${String(jobId)}`);
    expect(after.body.events.map((e) => e.type)).toEqual(JOB_EVENTS);
  });

  it('records a job with invalid labels as rejected, with the reason; a foreign job is not recorded at all', async () => {
    const invalid = 7_100_000_003;
    const foreign = 7_100_000_004;
    expect((await webhook.post(jobPayload('queued', invalid, { spec: 'cpu=lots' }), 'delivery-bad-1')).status).toBe(
      200,
    );
    expect(
      await webhook.post(jobPayload('queued', foreign, { labels: ['self-hosted', 'ubuntu-latest'] }), 'delivery-f-1'),
    ).toEqual({ status: 202, body: { ignored: 'not-ours' } });

    const job = await waitForJob(service.url, invalid, (j) => j?.status === 'rejected', JOB_DEADLINE_MS);
    expect(job).toMatchObject({ id: String(invalid), status: 'rejected', machineId: null });
    expect(job?.rejection?.message).toContain('cpu=lots');
    expect(job?.events.map((e) => e.type)).toEqual(['JobRejected']);

    const missing = await getJson<{ error: { code: string } }>(`${service.url}/api/jobs/${String(foreign)}`);
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'not-found' } } });
    expect(await machinesApi()).toEqual([]);
    expect(service.sim.machines()).toEqual([]);

    const text = await metrics();
    expect(metricValue(text, 'runs_fleet_webhooks_total', { result: 'recorded' })).toBe(1);
    expect(metricValue(text, 'runs_fleet_webhooks_total', { result: 'ignored_not_ours' })).toBe(1);
    expect(metricValue(text, 'runs_fleet_commands_total', { type: 'LaunchMachine', outcome: 'ok' })).toBe(0);
  });

  it('refuses a bad signature with 401 and counts it', async () => {
    const bad = webhookPoster(service.url, 'not-the-secret-of-this-service');
    expect((await bad.post(jobPayload('queued', 7_100_000_005), 'delivery-forged')).status).toBe(401);
    expect((await fetch(`${service.url}/api/jobs/7100000005`)).status).toBe(404);
    expect(metricValue(await metrics(), 'runs_fleet_webhooks_total', { result: 'unauthorized' })).toBe(1);
  });

  it.skipIf(externalAddress === undefined)(
    'the read API and /metrics need the bearer token from a non-loopback address; health and /webhook are open',
    async () => {
      const remote = `http://${externalAddress ?? ''}:${String(service.port)}`;
      for (const path of ['/api/jobs', '/api/machines', '/metrics']) {
        const refused = await fetch(`${remote}${path}`);
        expect(refused.status, path).toBe(401);
        expect(await refused.json()).toMatchObject({ error: { code: 'unauthorized' } });
        expect((await fetch(`${remote}${path}`, { headers: { authorization: 'Bearer wrong' } })).status, path).toBe(
          401,
        );
        const allowed = await fetch(`${remote}${path}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
        expect(allowed.status, path).toBe(200);
      }
      expect((await fetch(`${remote}/readyz`)).status).toBe(200);
      expect((await fetch(`${remote}/healthz`)).status).toBe(200);
      const remoteWebhook = webhookPoster(remote, SECRET);
      expect(
        (await remoteWebhook.post(jobPayload('queued', 7_100_000_006, { spec: 'cpu=x' }), 'remote-1')).status,
      ).toBe(200);
    },
  );
});

describe('[http] [sqlite] embedded service: another compute, siblings, metrics', () => {
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runs-fleet-e2e-service-'));
    logs = [];
  });
  afterEach(async () => {
    try {
      await service.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Was a bug at HEAD 6ebd1e5 (service.ts ignored `compute`); the composition being written in parallel fixes it.
  it('honours --compute sim-remote: the in-process simulated cloud launches nothing', async () => {
    // Nothing listens on port 9 (discard): a service that used the remote cloud could not launch there.
    await start({ RUNS_FLEET_COMPUTE: 'sim-remote', RUNS_FLEET_SIM_CLOUD_URL: 'http://127.0.0.1:9' });
    expect((await webhook.post(jobPayload('queued', 7_100_000_101), 'remote-compute-1')).status).toBe(200);
    await pollUntil(
      metrics,
      (text) =>
        metricValue(text, 'runs_fleet_commands_total', { type: 'LaunchMachine', outcome: 'ok' }) +
          metricValue(text, 'runs_fleet_commands_total', { type: 'LaunchMachine', outcome: 'failed' }) >
        0,
      5_000,
    );
    expect(service.sim.machines()).toEqual([]);
  });

  it("does not terminate a machine whose idle runner can still take a same-label sibling's job (SPEC lesson 15)", async () => {
    await start();
    // Two jobs of one run with the same runs-fleet label. The extra label keeps the simulated GitHub from
    // dispatching them itself (its runners register with the runs-fleet label only), so this test plays GitHub's
    // part: runners boot and register, then GitHub hands A to B's runner and B to A's runner, as it may.
    const labels = ['runs-fleet=7100000200/cpu=2/arch=arm64', 'e2e-dispatched-by-the-test'];
    const [a, b] = [7_100_000_201, 7_100_000_202];
    for (const id of [a, b])
      expect(
        (await webhook.post(jobPayload('queued', id, { runId: 7_100_000_200, labels }), `q-${String(id)}`)).status,
      ).toBe(200);
    const machineOf = async (id: number) =>
      (await waitForJob(service.url, id, (j) => j?.status === 'assigned', JOB_DEADLINE_MS))?.machineId ?? '';
    const [machineA, machineB] = [await machineOf(a), await machineOf(b)];
    const registered = await pollUntil(
      () => Promise.all([machineA, machineB].map((m) => readStream(`machine#${m}`))),
      (streams) => streams.every((events) => events.some((e) => e.type === 'RunnerRegistered')),
      JOB_DEADLINE_MS,
    );
    expect(registered.every((events) => events.some((e) => e.type === 'RunnerRegistered'))).toBe(true);

    const started = (id: number, machineId: string) =>
      jobPayload('in_progress', id, {
        runId: 7_100_000_200,
        labels,
        fields: { status: 'in_progress', runner_name: `runs-fleet-${machineId}`, runner_id: 1, conclusion: null },
      });
    expect((await webhook.post(started(a, machineB), `ip-${String(a)}`)).status).toBe(200);
    // B's runner was taken: B is requeued (the reaction to A's start has run).
    await waitForJob(service.url, b, (j) => (j?.requeues.length ?? 0) > 0, JOB_DEADLINE_MS);
    const machineAState = () => machinesApi().then((ms) => ms.find((m) => m.id === machineA)?.status);
    // Its webhook a moment later: GitHub gave B to A's idle runner.
    await pollUntil(machineAState, (status) => status === 'terminated', 1_000);
    expect((await webhook.post(started(b, machineA), `ip-${String(b)}`)).status).toBe(200);
    await waitForJob(service.url, b, (j) => j?.status === 'running', JOB_DEADLINE_MS);

    // Today: A's machine was terminated as `not-needed` the moment A started elsewhere, and B now "runs" on it.
    expect(await machineAState()).not.toBe('terminated');
    expect(service.sim.machines().find((m) => m.machineId === machineA)?.state).not.toBe('terminated');
  });

  it('observes the job latency histograms it exports (queued → assigned, queued → started)', async () => {
    await start();
    const jobId = 7_100_000_102;
    expect((await webhook.post(jobPayload('queued', jobId), 'latency-1')).status).toBe(200);
    expect((await waitForJob(service.url, jobId, completed, JOB_DEADLINE_MS))?.status).toBe('completed');
    const text = await metrics();
    expect(metricValue(text, 'runs_fleet_job_wait_seconds_count', {})).toBe(1);
    expect(metricValue(text, 'runs_fleet_job_start_seconds_count', {})).toBe(1);
  });
});

describe('mayRead (the read-API guard) on request objects', () => {
  const request = (remoteAddress: string | undefined, authorization?: string) =>
    ({
      socket: { remoteAddress },
      headers: authorization === undefined ? {} : { authorization },
    }) as unknown as FastifyRequest;

  it('lets loopback in, and others only with the exact bearer token', () => {
    expect(mayRead(request('127.0.0.1'), null)).toBe(true);
    expect(mayRead(request('::1'), null)).toBe(true);
    expect(mayRead(request('::ffff:127.0.0.1'), null)).toBe(true);
    expect(mayRead(request('10.1.2.3'), null)).toBe(false);
    expect(mayRead(request('10.1.2.3', `Bearer ${API_TOKEN}`), null)).toBe(false);
    expect(mayRead(request('10.1.2.3', `Bearer ${API_TOKEN}`), API_TOKEN)).toBe(true);
    expect(mayRead(request('10.1.2.3', `Bearer ${API_TOKEN}x`), API_TOKEN)).toBe(false);
    expect(mayRead(request('10.1.2.3', API_TOKEN), API_TOKEN)).toBe(false);
    expect(mayRead(request(undefined, `Bearer wrong`), API_TOKEN)).toBe(false);
  });
});
