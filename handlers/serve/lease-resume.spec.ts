import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Command } from '../../domain/commands/commands.js';
import type { CommandBus } from '../../domain/ports/command-bus.js';
import { dynamodbLocalClient, dynamodbReady, freshTableName } from '../../test/harness/dynamodb-local-client.js';
import { examplePayload } from '../../test/http/payloads.js';
import { createLogger } from '../observability/logger.js';
import { handleWorkflowJob } from '../webhook/handle-workflow-job.js';
import { openDynamoDbComposition } from './dynamodb-composition.js';
import { createServeTables, serveTables } from './dynamodb-tables.js';

/**
 * Two replicas on one DynamoDB Local store. The one holding the stream decides a job's launch and goes away without
 * carrying it out (its bus only records), handing its lease back with the checkpoint past the job's events. The other,
 * started meanwhile without a lease, resumed nothing; it takes the lease over, and no record it reads from there calls
 * for the launch, so only the resume on taking the lease brings it back.
 */
const settings = { defaultBackend: 'ec2' } as const;
const now = () => new Date().toISOString();
const logger = createLogger({
  level: 'silent',
  destination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
});
const client = dynamodbLocalClient();
const created: string[] = [];

const recordingBus = (): { readonly bus: CommandBus; readonly commands: Command[] } => {
  const commands: Command[] = [];

  return { bus: { dispatch: async (batch) => void commands.push(...batch) }, commands };
};

const until = async (done: () => boolean, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

  return done();
};

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const TableName of created) await client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
  client.destroy();
});

describe('[dynamodb-local] a shard lease taken over', () => {
  it('re-derives the launch its previous holder decided and never carried out', async () => {
    const endpoint = await dynamodbReady();
    // The composition builds its own clients; DynamoDB Local takes any credentials.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    const tables = serveTables(freshTableName('takeover'));
    created.push(...Object.values(tables));
    await createServeTables(client, tables);
    const url = { table: tables.events, region: 'us-east-1', endpoint };
    const deps = { logger, now, createTables: false, shardLeaseMs: 1_500 };

    const first = await openDynamoDbComposition(url, settings, deps);
    const second = await openDynamoDbComposition(url, settings, deps);
    const dead = recordingBus();
    const live = recordingBus();
    try {
      await first.start(dead.bus, {});
      const payload = examplePayload('queued', { id: 77_001 });
      const outcome = await handleWorkflowJob(
        { store: first.store, aliases: [], allowlist: [], now },
        { event: 'workflow_job', deliveryId: 'takeover-1', payload },
      );
      expect(outcome.kind).toBe('recorded');
      const isLaunch = (command: Command) => command.type === 'LaunchMachine';
      expect(await until(() => dead.commands.some(isLaunch), 20_000)).toBe(true);

      // The first replica holds the shard: the second has nothing in flight of its own and resumes nothing.
      expect(await second.start(live.bus, {})).toBe(0);
      expect(live.commands).toEqual([]);
      await first.stop();

      expect(await until(() => live.commands.some(isLaunch), 20_000)).toBe(true);
      const decided = dead.commands.find(isLaunch);
      const resumed = live.commands.find(isLaunch);
      // The same command (one commandId), so its executor's claim and cloud lookup treat it as the one decided.
      expect(resumed?.commandId).toBe(decided?.commandId);
      expect(resumed?.type === 'LaunchMachine' && resumed.data.request.jobId).toBe('77001');
    } finally {
      await first.stop();
      await second.stop();
      await first.close();
      await second.close();
    }
  });
});
