/**
 * For test files (inside vitest only: it reads the endpoint the global setup provided). Node-only code imports
 * `dynamodb-local.ts` instead.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { inject } from 'vitest';
import { createDynamoDbLocalClient } from './dynamodb-local.js';

export { freshTableName } from './dynamodb-local.js';

/** The DynamoDB Local endpoint of this run (`http://127.0.0.1:<port>`). */
export const dynamodbLocalEndpoint = (): string => inject('dynamodbEndpoint');

/** A DynamoDBClient on this run's DynamoDB Local: dummy credentials, region `us-east-1`. */
export const dynamodbLocalClient = (): DynamoDBClient => createDynamoDbLocalClient(dynamodbLocalEndpoint());

/** A DynamoDB Streams client on the same emulator. */
export const dynamodbLocalStreamsClient = (): DynamoDBStreamsClient =>
  new DynamoDBStreamsClient({
    endpoint: dynamodbLocalEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
