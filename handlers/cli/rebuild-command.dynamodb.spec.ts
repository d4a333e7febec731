import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { runCli } from '../../test/cli/run-cli.js';
import { describe, expect, it } from 'vitest';
import { createDynamoDbEventStore, createEventsTableInput } from '../../adapters/store-dynamodb/index.js';
import { createWorld } from '../../test/world/world.js';
import {
  dynamodbLocalClient,
  dynamodbLocalEndpoint,
  freshTableName,
} from '../../test/harness/dynamodb-local-client.js';

describe('[dynamodb-local] runs-fleet rebuild', () => {
  it('rebuilds from a DynamoDB table named by its store URL', async () => {
    const world = createWorld();
    await world.queued({ jobId: '1', labels: ['runs-fleet/cpu=4/arch=arm64'] });
    await world.queued({ jobId: '2', labels: ['runs-fleet/cpu=abc'] });
    await world.settle();
    const events = await world.store.readAfter(0, 10_000);
    const client = dynamodbLocalClient();
    const table = freshTableName('rebuild-cli');
    await client.send(new CreateTableCommand(createEventsTableInput(table)));
    try {
      const store = createDynamoDbEventStore({ client, tableName: table });
      for (const { streamId, version, type, data, metadata } of events) {
        await store.append(streamId, [{ type, data, metadata }], version - 1);
      }
      // The command builds its own client from the URL, with the SDK's credentials: DynamoDB Local takes any.
      process.env['AWS_ACCESS_KEY_ID'] = 'local';
      process.env['AWS_SECRET_ACCESS_KEY'] = 'local';
      const url = `dynamodb://${table}?region=us-east-1&endpoint=${await dynamodbLocalEndpoint()}`;
      const { code, stdout, stderr } = await runCli('rebuild', '--store', url, '--json');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({
        streams: { total: 3, job: 2, machine: 1, pool: 0 },
        events: events.length,
        jobs: { byStatus: { assigned: 1, rejected: 1 } },
        machines: { byStatus: { launched: 1 } },
      });
    } finally {
      await client.send(new DeleteTableCommand({ TableName: table }));
      client.destroy();
    }
  });
});
