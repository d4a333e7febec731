import { Webhooks } from '@octokit/webhooks';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../handlers/observability/logger.js';
import { collectRaw, loadConfig } from '../../handlers/serve/config.js';
import { serveTables } from '../../handlers/serve/dynamodb-tables.js';
import { startService, type RunningService } from '../../handlers/serve/service.js';
import { dynamodbLocalClient, dynamodbReady, freshTableName } from '../harness/dynamodb-local-client.js';
import { examplePayload } from '../http/payloads.js';

/**
 * One `serve` on a DynamoDB store with everything else embedded (the in-process bus, the simulated cloud and GitHub
 * in this process): the tables are created by serve itself (`RUNS_FLEET_CREATE_TABLES`), the simulated machines'
 * lifecycle goes to the DynamoDB table, the stream poller projects it into the view table, and a restarted service
 * answers from the views it finds there.
 */
const SECRET = 'dynamodb-store-webhook-secret-0123';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('[dynamodb-local] [http] serve on a DynamoDB store, with the embedded bus and simulated cloud', () => {
  const savedEnv = { ...process.env };
  let dynamo: DynamoDBClient;
  let table: string;
  let dir: string;
  let service: RunningService | undefined;

  const start = async (endpoint: string): Promise<RunningService> => {
    const config = loadConfig(
      collectRaw(
        {
          RUNS_FLEET_STORE: `dynamodb://${table}?region=us-east-1&endpoint=${endpoint}`,
          RUNS_FLEET_CREATE_TABLES: 'true',
          RUNS_FLEET_WEBHOOK_SECRET: SECRET,
          RUNS_FLEET_HOST: '127.0.0.1',
          RUNS_FLEET_DATA_DIR: dir,
          RUNS_FLEET_SIM_BOOT_DELAY_MS: '100',
          RUNS_FLEET_SIM_JOB_DURATION_MS: '200',
          PORT: '0',
        },
        {},
      ),
    );
    if (E.isLeft(config)) throw new Error(JSON.stringify(config.left));

    return startService(config.right, createLogger({ level: 'silent' }));
  };

  const job = async (url: string, id: number): Promise<{ status: string } | null> => {
    const response = await fetch(`${url}/api/jobs/${String(id)}`);

    return response.status === 200 ? ((await response.json()) as { status: string }) : null;
  };

  beforeAll(async () => {
    process.env['AWS_ACCESS_KEY_ID'] = 'local';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'local';
    await dynamodbReady();
    dynamo = dynamodbLocalClient();
    table = freshTableName('serve-dynamodb');
    dir = mkdtempSync(join(tmpdir(), 'runs-fleet-serve-dynamodb-'));
  });

  afterAll(async () => {
    await service?.close();
    for (const TableName of Object.values(serveTables(table)))
      await dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    dynamo.destroy();
    rmSync(dir, { recursive: true, force: true });
    process.env = savedEnv;
  });

  it('creates its tables, completes a job, and answers from the view table after a restart', async () => {
    const endpoint = await dynamodbReady();
    service = await start(endpoint);
    for (const TableName of Object.values(serveTables(table))) {
      const described = await dynamo.send(new DescribeTableCommand({ TableName }));
      expect(described.Table?.TableStatus).toBe('ACTIVE');
    }
    const jobId = 8_200_000_001;
    const body = JSON.stringify(
      examplePayload('queued', { id: jobId, run_id: jobId + 1, labels: [`runs-fleet=${String(jobId + 1)}/cpu=2`] }),
    );
    const posted = await fetch(`${service.url}/webhook`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'workflow_job',
        'x-github-delivery': 'dynamodb-store-1',
        'x-hub-signature-256': await new Webhooks({ secret: SECRET }).sign(body),
      },
    });
    expect(posted.status).toBe(200);
    const deadline = Date.now() + 20_000;
    while ((await job(service.url, jobId))?.status !== 'completed' && Date.now() < deadline) await sleep(100);
    expect((await job(service.url, jobId))?.status).toBe('completed');
    const machines = () => service?.sim.machines() ?? [];
    while (machines().some((m) => m.state !== 'terminated') && Date.now() < deadline) await sleep(100);
    expect(machines().map((m) => m.state)).toEqual(['terminated']);

    await service.close();
    service = await start(endpoint);
    expect((await job(service.url, jobId))?.status).toBe('completed');
    // Nothing active is left to resume: the restarted service loaded no active view.
    expect([...service.models.jobIds()]).toEqual([]);
  }, 60_000);
});
