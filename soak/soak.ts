import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createSimCloudClient,
  createSimGithubClient,
  seededRandom,
  type SimCloudClient,
  type SimGithubClient,
} from '../adapters/sim/index.js';
import { createDynamoDbEventStore } from '../adapters/store-dynamodb/index.js';
import type { EventStore } from '../domain/store/index.js';
import { createServeTables, serveTables, type ServeTables } from '../handlers/serve/dynamodb-tables.js';
import { spawnSoakChild, ROOT, type SoakChild } from './child-process.js';
import { exportEventLog } from './export-log.js';
import { startFleet, type Fleet } from './fleet.js';
import type { SoakOptions } from './options.js';
import { configureSoakPool, POOL_SETTLE_MS, removeSoakPool, SOAK_POOL } from './pool.js';
import { waitQuiescent } from './quiescence.js';
import type { SimCloudArgs } from './sim-cloud-process.js';
import { judge, type SoakVerdict } from './verdict.js';
import { startWebhookRelay, type RelayCounters, type WebhookRelay } from './webhook-relay.js';
import { runWorkload } from './run-workload.js';

/**
 * One soak run (issue 7): DynamoDB Local tables, the warm pool, the relay (GitHub's webhook sender with faults), the
 * shared sim-cloud process, the orchestrator processes (with kill points and outside kills), the seeded workload (the
 * pool removed halfway), then quiescence and the verdict from records kept outside the service. On failure the event
 * log is exported.
 */
export interface SoakResult {
  readonly options: SoakOptions;
  readonly verdict: SoakVerdict;
  readonly durationMs: number;
  readonly workloadMs: number;
  readonly relay: Readonly<RelayCounters>;
  readonly refusals: ReadonlyArray<string>;
  readonly kills: Fleet['kills'];
  readonly quiescent: boolean;
  /** The exported event log (JSONL), written when the verdict is not clean. */
  readonly eventLog: string | null;
}

export const SIM_CLOUD_ENTRY = join(ROOT, 'soak', 'sim-cloud-entry.ts');
export const ORCHESTRATOR_ENTRY = join(ROOT, 'soak', 'orchestrator-entry.ts');

const AWS_ENV = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' };
// Long enough that a page processed on a saturated machine keeps its lease (a lost lease re-processes the page
// elsewhere); short enough that a killed holder's shard moves on within seconds. Production's default is 30 s.
const SHARD_LEASE_MS = 10_000;

export const isClean = (verdict: SoakVerdict): boolean =>
  verdict.lost === 0 && verdict.duplicates === 0 && verdict.orphans === 0;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const storeUrl = (tables: ServeTables, endpoint: string): string =>
  `dynamodb://${tables.events}?region=us-east-1&endpoint=${encodeURIComponent(endpoint)}`;

interface Parts {
  relay?: WebhookRelay;
  sim?: SoakChild;
  fleet?: Fleet;
}

const stopAll = async (parts: Parts): Promise<void> => {
  await parts.fleet?.stop();
  parts.sim?.child.kill('SIGTERM');
  await parts.sim?.exited;
  await parts.relay?.close();
};

/** Removes the pool halfway through the planned workload; resolves with when it did. */
const removePoolHalfway = async (
  store: EventStore,
  options: SoakOptions,
  log: (line: string) => void,
): Promise<number> => {
  await sleep(((options.jobs / options.jobsPerSecond) * 1000) / 2);
  await removeSoakPool(store);
  log(`pool ${SOAK_POOL} removed: its members end through the reconciler`);

  return Date.now();
};

export const runSoak = async (
  options: SoakOptions,
  endpoint: string,
  log: (line: string) => void = () => undefined,
): Promise<SoakResult> => {
  const started = Date.now();
  Object.assign(process.env, AWS_ENV);
  await mkdir(options.dir, { recursive: true });
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1' });
  const tables = serveTables(`soak-${String(options.seed)}-${String(started)}`);
  await createServeTables(client, tables);
  const store = createDynamoDbEventStore({ client, tableName: tables.events });
  await configureSoakPool(store, options.pool);
  const secret = `soak-webhook-secret-${String(options.seed)}-0123456789abcdef`;
  const parts: Parts = {};
  try {
    const relay = await startWebhookRelay({
      random: seededRandom(options.seed + 2),
      rates: options.webhookFaults,
      targets: () => parts.fleet?.live() ?? [],
    });
    parts.relay = relay;
    const simArgs: SimCloudArgs = {
      seed: options.seed,
      table: tables.events,
      endpoint,
      webhookUrl: `${relay.url}/webhook`,
      webhookSecret: secret,
      timings: options.cloud,
      logPath: join(options.dir, 'sim-cloud.log'),
    };
    const sim = await spawnSoakChild(SIM_CLOUD_ENTRY, simArgs, {
      env: AWS_ENV,
      stderrPath: join(options.dir, 'sim-cloud.stderr'),
    });
    parts.sim = sim;
    const lifeMs = ((options.jobs / options.jobsPerSecond) * 1000) / (options.kills + 1);
    const fleet = await startFleet({
      slots: options.orchestrators,
      kills: options.kills,
      killPoints: options.killPoints,
      seed: options.seed,
      random: seededRandom(options.seed + 4),
      rates: options.serviceFaults,
      entry: options.orchestratorEntry,
      dir: options.dir,
      launchesPerSecond: options.jobsPerSecond / options.orchestrators,
      lifeMs,
      env: {
        ...AWS_ENV,
        RUNS_FLEET_STORE: storeUrl(tables, endpoint),
        RUNS_FLEET_COMPUTE: 'sim-remote',
        RUNS_FLEET_SIM_CLOUD_URL: sim.url,
        RUNS_FLEET_BUS: 'inprocess',
        RUNS_FLEET_WEBHOOK_SECRET: secret,
        RUNS_FLEET_SHARD_LEASE_MS: String(SHARD_LEASE_MS),
        RUNS_FLEET_HOST: '127.0.0.1',
        RUNS_FLEET_LOG_LEVEL: options.logLevel,
        PORT: '0',
      },
    });
    parts.fleet = fleet;
    const github: SimGithubClient = createSimGithubClient(sim.url, { timeoutMs: 60_000 });
    const cloud: SimCloudClient = createSimCloudClient(sim.url, { timeoutMs: 60_000 });
    const removal = removePoolHalfway(store, options, log);
    removal.catch(() => undefined); // awaited below; a run that fails first must not leave it unhandled
    const workloadMs = await runWorkload({ options, github, fleet, relay, lifeMs, log });
    const removedAt = await removal;
    const settleUntil = options.pool.hot + options.pool.stopped > 0 ? removedAt + POOL_SETTLE_MS : 0;
    const quiescent = await waitQuiescent({ options, github, cloud, relay, store, log, settleUntil });
    const verdict = await judge({
      traces: relay.jobs,
      githubJobs: await github.jobs(),
      machines: await cloud.machines(),
      store,
    });
    await stopAll(parts);
    const eventLog = isClean(verdict)
      ? null
      : await exportEventLog(storeUrl(tables, endpoint), join(options.dir, 'events.jsonl'));

    return {
      options,
      verdict,
      durationMs: Date.now() - started,
      workloadMs,
      relay: { ...relay.counters },
      refusals: [...relay.refusals],
      kills: { ...fleet.kills },
      quiescent,
      eventLog,
    };
  } finally {
    await stopAll(parts).catch(() => undefined);
    for (const TableName of Object.values(tables))
      await client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    client.destroy();
  }
};
