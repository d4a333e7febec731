import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeStreamRecord } from '../../adapters/store-dynamodb/index.js';
import { createStreamPoller } from '../../adapters/stream-dynamodb/index.js';
import type { StreamPoller, StreamPollerOptions } from '../../adapters/stream-dynamodb/index.js';
import { identifyStreamRecord } from './identify-stream-record.js';

/**
 * The stream poller of `runs-fleet serve` on DynamoDB, wired with the events table's record decoder and key reader
 * (the poller adapter may not import the store adapter; this composition does).
 */
export const createDynamoDbStreamConsumer = (options: Omit<StreamPollerOptions, 'decode' | 'identify'>): StreamPoller =>
  createStreamPoller({ ...options, decode: decodeStreamRecord, identify: identifyStreamRecord });

/** The events table's current stream ARN; throws when the table has no stream enabled. */
export const latestStreamArn = async (client: DynamoDBClient, tableName: string): Promise<string> => {
  const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const arn = table.Table?.LatestStreamArn;
  if (arn === undefined || table.Table?.StreamSpecification?.StreamEnabled !== true) {
    throw new Error(`${tableName} has no stream enabled; the events table needs a NEW_IMAGE stream`);
  }

  return arn;
};
