import { Webhooks } from '@octokit/webhooks';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { DeleteTableCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, type CommandQueues } from '../../adapters/bus-sqs/index.js';
import {
  createSimCloudServer,
  createSimGithub,
  type SimCloudServer,
  type SimMachineSnapshot,
} from '../../adapters/sim/index.js';
import { createDynamoDbEventStore } from '../../adapters/store-dynamodb/index.js';
import { LEASE_TABLE_SK, OWNER_ITEM_PREFIX } from '../../adapters/stream-dynamodb/index.js';
import { createLogger, type Logger } from '../../handlers/observability/logger.js';
import { collectRaw, loadConfig } from '../../handlers/serve/config.js';
import { createServeTables, serveTables, type ServeTables } from '../../handlers/serve/dynamodb-tables.js';
import { createObservationRecorder } from '../../handlers/serve/record-observation.js';
import { startService, type RunningService } from '../../handlers/serve/service.js';
import { dynamodbLocalClient, dynamodbReady, freshTableName } from '../harness/dynamodb-local-client.js';
import { freshName, motoClients } from '../harness/moto-client.js';
import { examplePayload } from '../http/payloads.js';

/**
 * Several `runs-fleet serve` replicas on one DynamoDB store (DESIGN section 6): two services in this process, both on
 * `dynamodb://` (DynamoDB Local: events, views, dead letters, shard leases), the SQS FIFO command bus (moto) and one
 * shared simulated cloud (`createSimCloudServer`, as `runs-fleet sim-cloud` runs it) that appends its machines'
 * lifecycle to the same table and posts GitHub's webhooks through a load balancer in front of the replicas. Queued
 * webhooks go to either replica; every job must complete, with one machine each, whichever replica projects the
 * stream or carries out a command. Then the replica holding the stream stops, and the other takes its shard over.
 */
const SECRET = 'multi-replica-webhook-secret-0123';
const JOB_DEADLINE_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface JobAnswer {
  readonly id: string;
  readonly status: string;
  readonly machineId: string | null;
  readonly attempt: number;
}

interface MachineAnswer {
  readonly id: string;
  readonly status: string;
  readonly jobId: string | null;
}

const pollUntil = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(100);
  }
};

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

const jobs = (service: RunningService) => getJson<{ jobs: JobAnswer[] }>(`${service.url}/api/jobs`);
const machines = (service: RunningService) =>
  getJson<{ machines: MachineAnswer[] }>(`${service.url}/api/machines`).then((r) => r.machines);

const signer = new Webhooks({ secret: SECRET });

const postQueued = async (service: RunningService, jobId: number): Promise<number> => {
  const runId = jobId + 1;
  const payload = examplePayload('queued', {
    id: jobId,
    run_id: runId,
    // One run id per job: its label (and so its machine) is its own.
    labels: [`runs-fleet=${String(runId)}/cpu=2/arch=arm64`],
  });
  const body = JSON.stringify(payload);
  const response = await fetch(`${service.url}/webhook`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': `queued-${String(jobId)}`,
      'x-hub-signature-256': await signer.sign(body),
    },
  });
  await response.text();

  return response.status;
};

/** The load balancer in front of the replicas: each request goes to the first replica that answers. */
const startBalancer = async (targets: () => ReadonlyArray<string>): Promise<{ url: string; server: Server }> => {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host',
        ),
      );
      void (async () => {
        for (const target of targets()) {
          try {
            const answer = await fetch(`${target}${request.url ?? '/'}`, { method: request.method, headers, body });
            response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());

            return;
          } catch {
            // Not answering (closed): the next one.
          }
        }
        response.writeHead(502).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, server };
};

const logLines: string[] = [];
const testLogger = (name: string): Logger =>
  createLogger({
    level: process.env['RUNS_FLEET_TEST_LOG_LEVEL'] ?? 'warn',
    destination: new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        logLines.push(`${name} ${chunk.toString().trim()}`);
        callback();
      },
    }),
  });

describe('[dynamodb-local] [moto] [http] several serve replicas: DynamoDB store, SQS bus, shared sim-cloud', () => {
  const savedEnv = { ...process.env };
  let dynamo: DynamoDBClient;
  let sqs: SQSClient;
  let tables: ServeTables;
  let queues: CommandQueues;
  let dir: string;
  let simCloud: SimCloudServer;
  let balancer: Server;
  let live: RunningService[] = [];
  let replicas: RunningService[] = [];

  const startReplica = async (simCloudUrl: string, endpoint: string): Promise<RunningService> => {
    const config = loadConfig(
      collectRaw(
        {
          RUNS_FLEET_STORE: `dynamodb://${tables.events}?region=us-east-1&endpoint=${encodeURIComponent(endpoint)}`,
          RUNS_FLEET_BUS: 'sqs',
          RUNS_FLEET_QUEUE_URL: queues.queueUrl,
          RUNS_FLEET_COMPUTE: 'sim-remote',
          RUNS_FLEET_SIM_CLOUD_URL: simCloudUrl,
          RUNS_FLEET_WEBHOOK_SECRET: SECRET,
          RUNS_FLEET_SHARD_LEASE_MS: '3000',
          RUNS_FLEET_HOST: '127.0.0.1',
          RUNS_FLEET_DATA_DIR: join(dir, `replica-${String(replicas.length)}`),
          PORT: '0',
        },
        {},
      ),
    );
    if (E.isLeft(config)) throw new Error(JSON.stringify(config.left));
    const service = await startService(config.right, testLogger(`replica-${String(replicas.length)}`));
    replicas = [...replicas, service];
    live = [...live, service];

    return service;
  };

  const simMachines = async (): Promise<ReadonlyArray<SimMachineSnapshot>> => simCloud.cloud.machines();

  const expectOneMachinePerJob = async (jobIds: ReadonlyArray<number>): Promise<void> => {
    const byLabel = new Map<string, number>();
    for (const m of await simMachines()) byLabel.set(m.label, (byLabel.get(m.label) ?? 0) + 1);
    for (const jobId of jobIds) expect(byLabel.get(`runs-fleet=${String(jobId + 1)}/cpu=2/arch=arm64`)).toBe(1);
  };

  /** Live pollers (their heartbeats) and the owner of each shard lease, from the lease table. */
  const shardLeases = async () => {
    const answer = await dynamo.send(new ScanCommand({ TableName: tables.leases, ConsistentRead: true }));
    const items = (answer.Items ?? []).map((item) => unmarshall(item));
    const key = (item: Record<string, unknown>) => String(item[LEASE_TABLE_SK]);
    const now = Date.now();

    return {
      owners: items
        .filter((i) => key(i).startsWith(OWNER_ITEM_PREFIX) && Number(i['expiresAt'] ?? 0) > now)
        .map((i) => key(i).slice(OWNER_ITEM_PREFIX.length)),
      shards: items.filter((i) => !key(i).startsWith(OWNER_ITEM_PREFIX)).map((i) => String(i['owner'] ?? '')),
    };
  };

  const waitCompleted = async (service: RunningService, jobIds: ReadonlyArray<number>) =>
    pollUntil(
      () => jobs(service),
      (answer) => jobIds.every((id) => answer.jobs.find((j) => j.id === String(id))?.status === 'completed'),
      JOB_DEADLINE_MS,
    );

  const waitQuiet = async (service: RunningService) => {
    await pollUntil(
      async () => ({ sim: await simMachines(), views: await machines(service) }),
      ({ sim, views }) => sim.every((m) => m.state === 'terminated') && views.every((m) => m.status === 'terminated'),
      JOB_DEADLINE_MS,
    );
    expect((await simMachines()).filter((m) => m.state !== 'terminated')).toEqual([]);
    expect((await machines(service)).filter((m) => m.status !== 'terminated')).toEqual([]);
  };

  beforeAll(async () => {
    // The replicas make their own AWS clients from the environment, as in a container; the emulators take any keys.
    process.env['AWS_ACCESS_KEY_ID'] = 'local';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'local';
    process.env['AWS_REGION'] = 'us-east-1';
    const endpoint = await dynamodbReady();
    dir = mkdtempSync(join(tmpdir(), 'runs-fleet-replicas-'));
    dynamo = dynamodbLocalClient();
    tables = serveTables(freshTableName('serve-replicas'));
    await createServeTables(dynamo, tables);
    sqs = motoClients().sqs;
    queues = await createQueues(sqs, freshName('serve-replicas', 60));

    const lb = await startBalancer(() => live.map((s) => s.url));
    balancer = lb.server;
    const simLogger = testLogger('sim-cloud');
    simCloud = createSimCloudServer({
      logger: simLogger,
      report: createObservationRecorder(createDynamoDbEventStore({ client: dynamo, tableName: tables.events }), () =>
        new Date().toISOString(),
      ),
      github: createSimGithub({ webhookUrl: `${lb.url}/webhook`, webhookSecret: SECRET, seed: 7, logger: simLogger }),
      seed: 7,
      bootDelayMs: 100,
      jobDurationMs: 300,
      idleTimeoutMs: 20_000,
    });
    const simCloudUrl = await simCloud.listen(0);
    await startReplica(simCloudUrl, endpoint);
    await startReplica(simCloudUrl, endpoint);
  }, 120_000);

  afterEach((context) => {
    // What every replica and the sim-cloud logged (warn and up, or RUNS_FLEET_TEST_LOG_LEVEL), when a test failed.
    if (context.task.result?.state === 'fail' || process.env['RUNS_FLEET_TEST_LOG_LEVEL'] !== undefined)
      console.error(logLines.splice(0).join('\n'));
  });

  afterAll(async () => {
    await Promise.all(replicas.map((s) => s.close()));
    await simCloud?.close();
    await new Promise<void>((resolve) => (balancer ? balancer.close(() => resolve()) : resolve()));
    if (queues !== undefined) {
      for (const QueueUrl of [queues.queueUrl, queues.deadLetterQueueUrl])
        await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    }
    if (tables !== undefined) {
      for (const TableName of Object.values(tables))
        await dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    }
    sqs?.destroy();
    dynamo?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    process.env = savedEnv;
  }, 60_000);

  it('completes every job posted to either replica, with one machine per job, and leaves none running', async () => {
    const [a, b] = replicas as [RunningService, RunningService];
    const jobIds = [8_100_000_001, 8_100_000_002, 8_100_000_003, 8_100_000_004];
    for (const [i, jobId] of jobIds.entries()) expect(await postQueued(i % 2 === 0 ? a : b, jobId)).toBe(200);

    const seenByA = await waitCompleted(a, jobIds);
    const seenByB = await jobs(b);
    for (const seen of [seenByA, seenByB]) {
      const answered = jobIds.map((id) => seen.jobs.find((j) => j.id === String(id)));
      expect(answered.map((j) => [j?.status, j?.attempt])).toEqual(jobIds.map(() => ['completed', 1]));
    }
    await expectOneMachinePerJob(jobIds);
    // Each job's machine is the one the views name, and no machine served two jobs.
    const views = await machines(b);
    expect(new Set(views.map((m) => m.jobId))).toEqual(new Set(jobIds.map(String)));
    expect(views).toHaveLength(jobIds.length);
    await waitQuiet(a);
  }, 60_000);

  it('keeps completing jobs after one replica stops: its shards move to the other', async () => {
    const [a, b] = replicas as [RunningService, RunningService];
    live = [b];
    // The poller lets its shards go at once; the SQS worker then ends its long poll (up to 20 s) before close resolves.
    const closingA = a.close();
    const leases = await pollUntil(
      () => shardLeases(),
      ({ owners, shards }) => owners.length === 1 && shards.length > 0 && shards.every((o) => o === owners[0]),
      JOB_DEADLINE_MS,
    );
    expect(leases.owners).toHaveLength(1);
    expect(leases.shards.every((owner) => owner === leases.owners[0])).toBe(true);

    const jobId = 8_100_000_101;
    expect(await postQueued(b, jobId)).toBe(200);
    const seen = await waitCompleted(b, [jobId]);
    expect(seen.jobs.find((j) => j.id === String(jobId))?.status).toBe('completed');
    await expectOneMachinePerJob([jobId]);
    await waitQuiet(b);
    await closingA;
  }, 60_000);
});
