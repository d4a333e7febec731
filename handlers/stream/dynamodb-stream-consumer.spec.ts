import { CreateTableCommand, DeleteTableCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryDeadLetterStore } from '../../adapters/dead-letter/index.js';
import { createDynamoDbEventStore, createEventsTableInput } from '../../adapters/store-dynamodb/index.js';
import { LEASE_TABLE_PK, createLeaseTableInput } from '../../adapters/stream-dynamodb/index.js';
import type { StreamPoller } from '../../adapters/stream-dynamodb/index.js';
import type { EventStore, RecordedEvent } from '../../domain/store/index.js';
import {
  dynamodbLocalClient,
  dynamodbLocalStreamsClient,
  freshTableName,
} from '../../test/harness/dynamodb-local-client.js';
import { createDynamoDbStreamConsumer, latestStreamArn } from './index.js';

const AT = '2026-05-01T10:00:00.000Z';
const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventually = async (check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleepMs(10);
  }
};

describe('[dynamodb-local] DynamoDB stream consumer (poller on the real table stream)', () => {
  let dynamo: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let eventsTable: string;
  let leaseTable: string;
  let store: EventStore;
  let streamArn: string;
  beforeAll(async () => {
    dynamo = dynamodbLocalClient();
    streams = dynamodbLocalStreamsClient();
    eventsTable = freshTableName('poller-events');
    leaseTable = freshTableName('poller-leases');
    await dynamo.send(new CreateTableCommand(createEventsTableInput(eventsTable)));
    await dynamo.send(new CreateTableCommand(createLeaseTableInput(leaseTable)));
    store = createDynamoDbEventStore({ client: dynamo, tableName: eventsTable });
    streamArn = await latestStreamArn(dynamo, eventsTable);
  }, 60_000);
  afterAll(async () => {
    for (const TableName of [eventsTable, leaseTable]) await dynamo.send(new DeleteTableCommand({ TableName }));
    streams.destroy();
    dynamo.destroy();
  });

  const appendEvents = async (streamsCount: number, perStream: number, from: number): Promise<number> => {
    for (let v = from; v < from + perStream; v++) {
      for (let s = 0; s < streamsCount; s++) {
        await store.append(`job#${s}`, [{ type: 'E', data: { v }, metadata: { at: AT } }], v - 1);
      }
    }

    return streamsCount * perStream;
  };

  it('a restart mid-shard loses nothing and processes nothing twice', async () => {
    const counts = new Map<string, number>();
    const count = (e: RecordedEvent) =>
      counts.set(`${e.streamId}@${e.version}`, (counts.get(`${e.streamId}@${e.version}`) ?? 0) + 1);
    let total = await appendEvents(4, 5, 1);
    const consumer = (handle: (e: RecordedEvent) => Promise<void>): StreamPoller =>
      createDynamoDbStreamConsumer({
        streamsClient: streams,
        dynamoClient: dynamo,
        streamArn,
        leaseTable,
        owner: 'serve-1',
        handle,
        deadLetters: createMemoryDeadLetterStore(),
        clock: { now: () => Date.now() },
        leaseMs: 5_000,
        discoveryIntervalMs: 50,
        idleMs: 10,
        batchSize: 4,
      });

    let stopped: Promise<void> | undefined;
    const first: StreamPoller = consumer(async (e) => {
      count(e);
      if (counts.size === 7) stopped = first.stop(); // mid-batch: the batch is finished, then the lease released
    });
    await first.start();
    await eventually(() => stopped !== undefined, 'seven records');
    await stopped;
    const beforeRestart = counts.size;
    expect(beforeRestart).toBe(8); // two batches of four
    expect(first.held()).toEqual([]);

    total += await appendEvents(4, 3, 6); // written while nobody reads
    const second = consumer(async (e) => void count(e));
    await second.start();
    await eventually(() => counts.size === total, 'every event');
    await sleepMs(200); // room for a duplicate to show up
    await second.stop();

    expect(counts.size).toBe(total);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);

    const leases = await dynamo.send(
      new QueryCommand({
        TableName: leaseTable,
        KeyConditionExpression: '#pk = :arn',
        ExpressionAttributeNames: { '#pk': LEASE_TABLE_PK },
        ExpressionAttributeValues: { ':arn': { S: streamArn } },
        ConsistentRead: true,
      }),
    );
    const items = (leases.Items ?? []).map((i) => unmarshall(i));
    // One shard lease, released with its checkpoint; no heartbeat left behind after a graceful stop.
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ expiresAt: 0, leaseCounter: 2 });
    expect(items[0]).not.toHaveProperty('owner');
    expect(items[0]).not.toHaveProperty('finished');
    expect(typeof items[0]?.['checkpoint']).toBe('string');
  }, 60_000);

  it('a page at a time: every event once, each event stream in order, a restart resuming after the last whole page', async () => {
    // Streams of their own (the first test's are on the stream too, before these).
    for (let v = 1; v <= 4; v++) {
      for (let s = 0; s < 3; s++) {
        await store.append(`job#page-${s}`, [{ type: 'E', data: { v }, metadata: { at: AT } }], v - 1);
      }
    }
    const total = 12;
    const pages: string[][] = [];
    const consumer = (handleBatch: (events: ReadonlyArray<RecordedEvent>) => Promise<void>): StreamPoller =>
      createDynamoDbStreamConsumer({
        streamsClient: streams,
        dynamoClient: dynamo,
        streamArn,
        leaseTable,
        owner: 'serve-pages',
        handleBatch,
        deadLetters: createMemoryDeadLetterStore(),
        clock: { now: () => Date.now() },
        leaseMs: 5_000,
        discoveryIntervalMs: 50,
        idleMs: 10,
        batchSize: 5,
      });
    const fresh = (events: ReadonlyArray<RecordedEvent>) => events.filter((e) => e.streamId.startsWith('job#page-'));
    const handled = () => pages.flat();
    let stopped: Promise<void> | undefined;
    const first: StreamPoller = consumer(async (events) => {
      pages.push(fresh(events).map((e) => `${e.streamId}@${e.version}`));
      if (handled().length >= 6) stopped ??= first.stop();
    });
    await first.start();
    await eventually(() => stopped !== undefined, 'six of the new events');
    await stopped;
    const second = consumer(async (events) => void pages.push(fresh(events).map((e) => `${e.streamId}@${e.version}`)));
    await second.start();
    await eventually(() => handled().length === total, 'every new event');
    await sleepMs(200); // room for a duplicate to show up
    await second.stop();

    expect(new Set(handled()).size).toBe(total);
    expect(handled()).toHaveLength(total);
    expect(pages.every((page) => page.length <= 5)).toBe(true);
    for (let s = 0; s < 3; s++) {
      const versions = handled()
        .filter((k) => k.startsWith(`job#page-${s}@`))
        .map((k) => Number(k.split('@')[1]));
      expect(versions).toEqual([1, 2, 3, 4]);
    }
  }, 60_000);
});
