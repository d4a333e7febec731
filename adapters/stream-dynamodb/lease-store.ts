import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LEASE_ATTRIBUTES as A, LEASE_TABLE_PK, LEASE_TABLE_SK, OWNER_ITEM_PREFIX } from './lease-table.js';

/** A shard's lease as the table holds it. */
export interface ShardLease {
  readonly shardId: string;
  readonly owner: string | null;
  readonly expiresAt: number;
  readonly leaseCounter: number;
  readonly checkpoint: string | null;
  readonly finished: boolean;
}

/** What an owner holds after acquiring: the fencing token and where to resume. */
export interface HeldLease {
  readonly shardId: string;
  readonly leaseCounter: number;
  readonly checkpoint: string | null;
}

export interface LeaseSnapshot {
  readonly leases: ReadonlyMap<string, ShardLease>;
  /** Owners whose heartbeat has not expired. */
  readonly liveOwners: ReadonlySet<string>;
}

/** The lease is not ours any more (taken over, or re-taken by a newer incarnation): stop the shard at once. */
export class LeaseLostError extends Error {
  constructor(readonly shardId: string) {
    super(`lease on ${shardId} lost`);
    this.name = 'LeaseLostError';
  }
}

export interface LeaseStore {
  snapshot(): Promise<LeaseSnapshot>;
  heartbeat(): Promise<void>;
  removeHeartbeat(): Promise<void>;
  /** Takes the lease when it is absent, released, expired or already ours, and not finished; else null. */
  acquire(shardId: string): Promise<HeldLease | null>;
  /** Extends the lease (and saves the checkpoint when given). Throws `LeaseLostError` when it is not ours. */
  renew(lease: HeldLease, checkpoint: string | null): Promise<void>;
  /** Saves the checkpoint and gives the lease up. Throws `LeaseLostError` when it is not ours. */
  release(lease: HeldLease, checkpoint: string | null): Promise<void>;
  /** Marks the shard finished (its end processed) and gives the lease up. Throws `LeaseLostError` when not ours. */
  finish(lease: HeldLease, checkpoint: string | null): Promise<void>;
}

export interface LeaseStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly streamArn: string;
  readonly owner: string;
  readonly leaseMs: number;
  readonly now: () => number;
}

const isConditionFailure = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && 'name' in e && e.name === 'ConditionalCheckFailedException';

const NAMES = {
  '#owner': A.owner,
  '#exp': A.expiresAt,
  '#ctr': A.leaseCounter,
  '#cp': A.checkpoint,
  '#fin': A.finished,
} as const;

/** DynamoDB rejects expression names an expression does not use: pass only those that appear. */
const namesIn = (expression: string): Record<string, string> =>
  Object.fromEntries(Object.entries(NAMES).filter(([name]) => expression.includes(name)));

const str = (u: unknown): string | null => (typeof u === 'string' ? u : null);
const num = (u: unknown): number => (typeof u === 'number' ? u : 0);

const toLease = (item: Record<string, unknown>): ShardLease => ({
  shardId: String(item[LEASE_TABLE_SK]),
  owner: str(item[A.owner]),
  expiresAt: num(item[A.expiresAt]),
  leaseCounter: num(item[A.leaseCounter]),
  checkpoint: str(item[A.checkpoint]),
  finished: item[A.finished] === true,
});

/**
 * Every write is conditional: `acquire` on "free, expired or mine, and not finished"; `renew`, `release` and
 * `finish` on "still mine at this lease counter", so a worker whose lease moved on can never overwrite the new
 * owner's checkpoint.
 */
export const createLeaseStore = (options: LeaseStoreOptions): LeaseStore => {
  const { tableName, streamArn, owner, leaseMs, now } = options;
  const doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
  const key = (shardId: string) => ({ [LEASE_TABLE_PK]: streamArn, [LEASE_TABLE_SK]: shardId });

  const ours = async (lease: HeldLease, update: string, values: Record<string, unknown>): Promise<void> => {
    try {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key(lease.shardId),
          UpdateExpression: update,
          ConditionExpression: '#owner = :me AND #ctr = :ctr',
          ExpressionAttributeNames: namesIn(`${update} #owner #ctr`),
          ExpressionAttributeValues: { ':me': owner, ':ctr': lease.leaseCounter, ...values },
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) throw new LeaseLostError(lease.shardId);
      throw e;
    }
  };
  const withCheckpoint = (set: string, checkpoint: string | null): string =>
    checkpoint === null ? set : `${set}, #cp = :cp`;

  return {
    snapshot: async () => {
      const leases = new Map<string, ShardLease>();
      const liveOwners = new Set<string>();
      const at = now();
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: '#pk = :arn',
            ExpressionAttributeNames: { '#pk': LEASE_TABLE_PK },
            ExpressionAttributeValues: { ':arn': streamArn },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          const lease = toLease(item);
          if (!lease.shardId.startsWith(OWNER_ITEM_PREFIX)) leases.set(lease.shardId, lease);
          else if (lease.owner !== null && lease.expiresAt > at) liveOwners.add(lease.owner);
        }
        start = page.LastEvaluatedKey;
      } while (start);

      return { leases, liveOwners };
    },
    heartbeat: async () => {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...key(`${OWNER_ITEM_PREFIX}${owner}`), [A.owner]: owner, [A.expiresAt]: now() + leaseMs },
        }),
      );
    },
    removeHeartbeat: async () => {
      await doc.send(new DeleteCommand({ TableName: tableName, Key: key(`${OWNER_ITEM_PREFIX}${owner}`) }));
    },
    acquire: async (shardId) => {
      const at = now();
      try {
        const r = await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(shardId),
            UpdateExpression: 'SET #owner = :me, #exp = :exp ADD #ctr :one',
            ConditionExpression:
              '(attribute_not_exists(#owner) OR #exp <= :now OR #owner = :me) AND ' +
              '(attribute_not_exists(#fin) OR #fin = :false)',
            ExpressionAttributeNames: {
              '#owner': A.owner,
              '#exp': A.expiresAt,
              '#ctr': A.leaseCounter,
              '#fin': A.finished,
            },
            ExpressionAttributeValues: { ':me': owner, ':exp': at + leaseMs, ':now': at, ':one': 1, ':false': false },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const lease = toLease(r.Attributes ?? {});

        return { shardId, leaseCounter: lease.leaseCounter, checkpoint: lease.checkpoint };
      } catch (e) {
        if (isConditionFailure(e)) return null;
        throw e;
      }
    },
    renew: (lease, checkpoint) =>
      ours(lease, withCheckpoint('SET #exp = :exp', checkpoint), {
        ':exp': now() + leaseMs,
        ...(checkpoint === null ? {} : { ':cp': checkpoint }),
      }),
    release: (lease, checkpoint) =>
      ours(lease, `${withCheckpoint('SET #exp = :zero', checkpoint)} REMOVE #owner`, {
        ':zero': 0,
        ...(checkpoint === null ? {} : { ':cp': checkpoint }),
      }),
    finish: (lease, checkpoint) =>
      ours(lease, `${withCheckpoint('SET #exp = :zero, #fin = :true', checkpoint)} REMOVE #owner`, {
        ':zero': 0,
        ':true': true,
        ...(checkpoint === null ? {} : { ':cp': checkpoint }),
      }),
  };
};
