/**
 * For test files (inside vitest only: it reads the control address the global setup provided). Node-only code imports
 * `dynamodb-local.ts` instead.
 *
 * Importing this module is how a test file says it needs DynamoDB Local: the import asks the harness to start it (in
 * the background, once per run), and registers a file-level `beforeAll` that waits for it with a timeout long enough
 * for a first fetch, so no test spends its own timeout on the start. Clients made here also wait before each request.
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { beforeAll, inject } from 'vitest';
import { createDynamoDbLocalClient, freshTableName } from './dynamodb-local.js';
import { askEmulator, endpointConfig } from './emulator-process.js';

export { freshTableName } from './dynamodb-local.js';

let ready: Promise<string> | undefined;

/** Resolves with this run's DynamoDB Local endpoint (`http://127.0.0.1:<port>`) once it answers. */
export const dynamodbReady = (): Promise<string> =>
  (ready ??= askEmulator('DynamoDB Local', inject('dynamodbLocalControl')));

/** Alias of `dynamodbReady`: the endpoint of this run's DynamoDB Local, once it answers. */
export const dynamodbLocalEndpoint = dynamodbReady;

// Start it now (while the file's other imports load) and wait for it before the file's first test.
dynamodbReady().catch(() => undefined);
beforeAll(async () => {
  await dynamodbReady();
}, 600_000);

/** A DynamoDBClient on this run's DynamoDB Local: dummy credentials, region `us-east-1`. */
export const dynamodbLocalClient = (): DynamoDBClient => createDynamoDbLocalClient(dynamodbReady);

/** A DynamoDB Streams client on the same emulator. */
export const dynamodbLocalStreamsClient = (): DynamoDBStreamsClient =>
  new DynamoDBStreamsClient({
    endpoint: endpointConfig(dynamodbReady),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

export interface FreshTable {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  drop(): Promise<void>;
}

/** Creates a table with a fresh name on this run's DynamoDB Local; `drop` deletes it and releases the client. */
export const createFreshTable = async (
  prefix: string,
  inputFor: (tableName: string) => CreateTableCommandInput,
): Promise<FreshTable> => {
  const client = dynamodbLocalClient();
  const tableName = freshTableName(prefix);
  await client.send(new CreateTableCommand(inputFor(tableName)));

  return {
    client,
    tableName,
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
};
