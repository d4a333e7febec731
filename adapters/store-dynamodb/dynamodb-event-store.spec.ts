import { DescribeTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import * as fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore, NewEvent, RecordedEvent } from '../../domain/store/index.js';
import { describeEventStoreContract } from '../../test/contracts/event-store.contract.js';
import {
  createFreshTable,
  dynamodbLocalStreamsClient,
  type FreshTable,
} from '../../test/harness/dynamodb-local-client.js';
import {
  EVENTS_TABLE_PK,
  EVENTS_TABLE_SK,
  STREAMS_BY_CATEGORY_INDEX,
  createDynamoDbEventStore,
  createEventsTableInput,
  decodeStreamRecord,
} from './index.js';

const AT = '2024-05-01T10:00:00.000Z';
const ev = (type: string, data: unknown = {}): NewEvent => ({ type, data, metadata: { at: AT } });
const evs = (n: number, type = 'E'): NewEvent[] => Array.from({ length: n }, (_, i) => ev(type, { i }));

const makeTable = (prefix: string): Promise<FreshTable> => createFreshTable(prefix, createEventsTableInput);

const makeStore = async (): Promise<{ store: EventStore; cleanup(): Promise<void> }> => {
  const { client, tableName, drop } = await makeTable('contract');

  return { store: createDynamoDbEventStore({ client, tableName }), cleanup: drop };
};

/** Every record on the table's stream so far: all shards from TRIM_HORIZON until they stop returning records. */
const readWholeStream = async (client: DynamoDBClient, tableName: string): Promise<StreamRecord[]> => {
  const streams = dynamodbLocalStreamsClient();
  try {
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const StreamArn = table.Table?.LatestStreamArn;
    expect(StreamArn).toBeDefined();
    const description = await streams.send(new DescribeStreamCommand({ StreamArn }));
    const records: StreamRecord[] = [];
    for (const shard of description.StreamDescription?.Shards ?? []) {
      const it = await streams.send(
        new GetShardIteratorCommand({ StreamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      let iterator = it.ShardIterator;
      for (let empty = 0; iterator && empty < 2;) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []));
        empty = page.Records?.length ? 0 : empty + 1;
        iterator = page.NextShardIterator;
      }
    }

    return records;
  } finally {
    streams.destroy();
  }
};

describe('[dynamodb-local] DynamoDB event store', () => {
  describeEventStoreContract('event store contract', makeStore);

  describe('DynamoDB specifics', () => {
    let client: DynamoDBClient;
    let tableName: string;
    let drop: () => Promise<void>;
    let store: EventStore;
    beforeAll(async () => {
      ({ client, tableName, drop } = await makeTable('specifics'));
      store = createDynamoDbEventStore({ client, tableName });
    }, 60_000);
    afterAll(async () => drop?.());

    const conflict = (streamId: string, expectedVersion: number): unknown =>
      E.left({ kind: 'VersionConflict', streamId, expectedVersion });

    it('an expected version ahead of the stream is a conflict (a gap), for one event and for several', async () => {
      const streamId = 'job#gap';
      expect(await store.append(streamId, [ev('A')], 0)).toEqual(E.right({ streamId, version: 1 }));
      expect(await store.append(streamId, [ev('Gap')], 3)).toEqual(conflict(streamId, 3));
      expect(await store.append(streamId, evs(3, 'Gap'), 3)).toEqual(conflict(streamId, 3));
      expect(await store.append(streamId, evs(3, 'Gap'), 2)).toEqual(conflict(streamId, 2));
      expect((await store.read(streamId)).map((e) => e.type)).toEqual(['A']);
    });

    it('truly concurrent appends at one expected version: exactly one wins, the others get VersionConflict', async () => {
      for (const [expectedVersion, size] of [
        [0, 1], // PutItem
        [0, 3], // TransactWriteItems
        [1, 1], // ConditionCheck + Put
        [2, 2], // ConditionCheck + Puts
      ] as const) {
        const streamId = `job#race-${expectedVersion}-${size}`;
        if (expectedVersion > 0) await store.append(streamId, evs(expectedVersion, 'Setup'), 0);
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, who) => store.append(streamId, evs(size, `W${who}`), expectedVersion)),
        );
        expect(results.filter(E.isRight)).toEqual([E.right({ streamId, version: expectedVersion + size })]);
        expect(results.filter(E.isLeft)).toHaveLength(7);
        const events = await store.read(streamId);
        expect(events.map((e) => e.version)).toEqual(Array.from({ length: expectedVersion + size }, (_, i) => i + 1));
        expect(new Set(events.slice(expectedVersion).map((e) => e.type)).size).toBe(1);
      }
    }, 30_000);

    it('100 events at an expected version > 0 (check by read, puts in one transaction): right, stale and gap', async () => {
      const streamId = 'machine#hundred';
      await store.append(streamId, [ev('First')], 0);
      expect(await store.append(streamId, evs(100), 1)).toEqual(E.right({ streamId, version: 101 }));
      expect(await store.append(streamId, evs(100), 50)).toEqual(conflict(streamId, 50));
      expect(await store.append(streamId, evs(100), 500)).toEqual(conflict(streamId, 500));
      expect(await store.append(streamId, evs(100), 0)).toEqual(conflict(streamId, 0));
      expect((await store.read(streamId)).map((e) => e.version)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    }, 30_000);

    it('writes the category only on version 1, so the index stays sparse', async () => {
      const streamId = 'pool#sparse';
      await store.append(streamId, evs(3), 0);
      const item = async (version: number): Promise<Record<string, unknown> | undefined> =>
        (
          await client.send(
            new GetItemCommand({
              TableName: tableName,
              Key: { [EVENTS_TABLE_PK]: { S: streamId }, [EVENTS_TABLE_SK]: { N: String(version) } },
              ConsistentRead: true,
            }),
          )
        ).Item;
      expect(await item(1)).toMatchObject({ category: { S: 'pool' }, at: { S: AT }, data: { M: { i: { N: '0' } } } });
      expect(await item(2)).not.toHaveProperty('category');
      const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(table.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual([STREAMS_BY_CATEGORY_INDEX]);
    });

    it('a record read off the table stream decodes to the event `read` returns', async () => {
      const streamId = 'job#streamed';
      const data = { labels: ['runs-fleet/cpu=4'], nested: { n: 1.5, nothing: null, dropped: undefined }, flag: true };
      await store.append(streamId, [{ type: 'JobQueued', data, metadata: { at: AT, deliveryId: 'd-1' } }], 0);
      await store.append(streamId, evs(2, 'More'), 1);
      const stored = await store.read(streamId);
      const records = await readWholeStream(client, tableName);
      const decoded = records
        .map((r) => decodeStreamRecord(r))
        .flatMap((d): RecordedEvent[] => (E.isRight(d) && d.right.streamId === streamId ? [d.right] : []))
        .sort((a, b) => a.version - b.version);
      expect(decoded).toStrictEqual(stored);
      expect(records.every((r) => E.isRight(decodeStreamRecord(r)))).toBe(true);
    }, 30_000);

    it('a poisoned image decodes to a PermanentFailure carrying the raw record, a REMOVE to NotAnEvent', async () => {
      const [real] = await readWholeStream(client, tableName);
      expect(real?.dynamodb?.NewImage).toBeDefined();
      const poison = (image: unknown): unknown => ({ ...real, dynamodb: { ...real?.dynamodb, NewImage: image } });
      const image = real?.dynamodb?.NewImage ?? {};
      const poisoned = [
        poison({ ...image, [EVENTS_TABLE_SK]: { S: 'one' } }),
        poison({ ...image, metadata: { S: 'not a map' } }),
        poison({ ...image, type: { Q: 'no such attribute type' } }),
        poison({ ...image, metadata: { M: { at: { N: '1' } } } }),
        poison(undefined),
        { ...real, dynamodb: undefined },
        'not a record',
        null,
      ];
      for (const raw of poisoned) {
        const result = decodeStreamRecord(raw);
        expect(result).toMatchObject(E.left({ kind: 'PermanentFailure', raw }));
      }
      expect(decodeStreamRecord({ ...real, eventName: 'REMOVE' })).toMatchObject(E.left({ kind: 'NotAnEvent' }));
    }, 30_000);
  });
});

describe('decodeStreamRecord', () => {
  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        decodeStreamRecord(raw);
        decodeStreamRecord({ eventName: 'INSERT', dynamodb: { NewImage: raw } });
      }),
    );
  });
});
