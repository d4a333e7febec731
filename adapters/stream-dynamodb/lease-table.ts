import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The lease and checkpoint table of the DynamoDB Streams poller (`runs-fleet serve` on AWS). `infra/` and the tests
 * use these names; change them only together.
 *
 * One item per (stream, shard): `{streamArn, shardId, owner, expiresAt, leaseCounter, checkpoint, finished}`. The
 * stream ARN is the partition key so one table serves several streams (a re-created events table gets a new stream),
 * and a consistent Query lists every lease of a stream. Beside the shard items, each live poller keeps a heartbeat
 * item whose sort key is `owner#<owner>`, which is how pollers count each other to split the shards.
 */
export const LEASE_TABLE_PK = 'streamArn';
export const LEASE_TABLE_SK = 'shardId';

export const LEASE_ATTRIBUTES = {
  /** The poller holding the lease; absent when released. */
  owner: 'owner',
  /** Epoch milliseconds after which the lease is free for anyone (0 when released). */
  expiresAt: 'expiresAt',
  /** Grows by one on every acquisition: a fencing token, so a lease lost and re-taken never lets a stale worker write. */
  leaseCounter: 'leaseCounter',
  /** The SequenceNumber of the last record processed in the shard; absent until the first. */
  checkpoint: 'checkpoint',
  /** True once the shard's end was processed: its children may start. */
  finished: 'finished',
} as const;

/** Sort-key prefix of the poller heartbeat items (shard ids start with `shardId-`, so they never clash). */
export const OWNER_ITEM_PREFIX = 'owner#';

/** CreateTable input: on demand, no stream, no index. `infra/` mirrors it. */
export const createLeaseTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: LEASE_TABLE_PK, AttributeType: 'S' },
    { AttributeName: LEASE_TABLE_SK, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: LEASE_TABLE_PK, KeyType: 'HASH' },
    { AttributeName: LEASE_TABLE_SK, KeyType: 'RANGE' },
  ],
});
