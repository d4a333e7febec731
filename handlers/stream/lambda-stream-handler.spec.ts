import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryDeadLetterStore } from '../../adapters/dead-letter/index.js';
import { createDynamoDbEventStore, createEventsTableInput } from '../../adapters/store-dynamodb/index.js';
import { createMemoryViewStore } from '../../adapters/views-memory/index.js';
import type { Command } from '../../domain/commands/commands.js';
import type { DeadLetterEntry, EventStore, NewEvent, RecordedEvent } from '../../domain/store/index.js';
import type { ViewKind, ViewStore } from '../../projections/view-store.js';
import {
  dynamodbLocalClient,
  dynamodbLocalStreamsClient,
  freshTableName,
} from '../../test/harness/dynamodb-local-client.js';
import { allEvents, runWorkload } from '../../test/world/workload.js';
import { createViewBackedConsumer } from '../app/view-backed-consumer.js';
import { createStreamHandler, latestStreamArn } from './index.js';
import type { DynamoDBRecord, DynamoDBStreamEvent } from './index.js';

const AT = '2026-05-01T10:00:00.000Z';
const ev = (type: string, data: unknown = {}): NewEvent => ({ type, data, metadata: { at: AT } });
const clock = { now: () => Date.parse(AT) };

/** Records read off the table's stream (DynamoDB Local has one shard), shaped as Lambda delivers them. */
const lambdaRecords = async (client: DynamoDBClient, tableName: string): Promise<DynamoDBRecord[]> => {
  const streams = dynamodbLocalStreamsClient();
  try {
    const StreamArn = await latestStreamArn(client, tableName);
    const description = await streams.send(new DescribeStreamCommand({ StreamArn }));
    const records: StreamRecord[] = [];
    for (const shard of description.StreamDescription?.Shards ?? []) {
      const it = await streams.send(
        new GetShardIteratorCommand({ StreamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      for (let iterator = it.ShardIterator, empty = 0; iterator && empty < 2;) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        records.push(...(page.Records ?? []));
        empty = page.Records?.length ? 0 : empty + 1;
        iterator = page.NextShardIterator;
      }
    }

    // Lambda sends the same record with the creation time in epoch seconds and the source ARN beside it.
    return records.map((r) => ({
      ...(JSON.parse(JSON.stringify(r)) as DynamoDBRecord),
      eventSourceARN: StreamArn,
      dynamodb: {
        ...(JSON.parse(JSON.stringify(r.dynamodb)) as DynamoDBRecord['dynamodb']),
        ApproximateCreationDateTime: Math.floor((r.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0) / 1000),
      },
    }));
  } finally {
    streams.destroy();
  }
};

const seqOf = (r: DynamoDBRecord): string => r.dynamodb?.SequenceNumber ?? '';
const keyOf = (r: DynamoDBRecord): string =>
  `${String(r.dynamodb?.Keys?.['streamId']?.['S'])}@${String(r.dynamodb?.Keys?.['version']?.['N'])}`;
const listAll = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const item of items) all.push(item);

  return all;
};

describe('[dynamodb-local] Lambda stream handler', () => {
  let client: DynamoDBClient;
  let tableName: string;
  let store: EventStore;
  const makeTable = async (): Promise<void> => {
    tableName = freshTableName('lambda-stream');
    await client.send(new CreateTableCommand(createEventsTableInput(tableName)));
    store = createDynamoDbEventStore({ client, tableName });
  };
  beforeAll(() => {
    client = dynamodbLocalClient();
  });
  afterAll(() => client.destroy());

  describe('one batch of interleaved streams', () => {
    let records: DynamoDBRecord[];
    beforeAll(async () => {
      await makeTable();
      // Interleaved on the stream: a1 b1 c1 a2 b2 c2 a3 b3.
      for (let v = 1; v <= 3; v++) {
        for (const s of ['job#a', 'job#b', 'machine#c']) {
          if (!(s === 'machine#c' && v === 3)) await store.append(s, [ev(`E${v}`, { v })], v - 1);
        }
      }
      records = await lambdaRecords(client, tableName);
    }, 60_000);
    afterAll(async () => client.send(new DeleteTableCommand({ TableName: tableName })));

    it('reads the records the store wrote, in append order', () => {
      expect(records.map(keyOf)).toEqual([
        'job#a@1',
        'job#b@1',
        'machine#c@1',
        'job#a@2',
        'job#b@2',
        'machine#c@2',
        'job#a@3',
        'job#b@3',
      ]);
    });

    it('a throwing handle fails that record and the later ones of its stream, exactly; other streams go on', async () => {
      const handled: string[] = [];
      const handler = createStreamHandler({
        handle: async (e: RecordedEvent) => {
          if (e.streamId === 'job#a' && e.version === 2) throw new Error('view store unreachable');
          handled.push(`${e.streamId}@${e.version}`);
        },
        deadLetters: createMemoryDeadLetterStore(),
        clock,
      });
      const result = await handler({ Records: records });
      const byKey = new Map(records.map((r) => [keyOf(r), seqOf(r)]));
      expect(result).toEqual({
        batchItemFailures: [{ itemIdentifier: byKey.get('job#a@2') }, { itemIdentifier: byKey.get('job#a@3') }],
      });
      expect(handled).toEqual(['job#a@1', 'job#b@1', 'machine#c@1', 'job#b@2', 'machine#c@2', 'job#b@3']);
    });

    it('a poisoned record goes to the dead-letter store with the raw record, once however often it comes', async () => {
      const deadLetters = createMemoryDeadLetterStore();
      const handled: string[] = [];
      const seen: DeadLetterEntry[] = [];
      const handler = createStreamHandler({
        handle: async (e: RecordedEvent) => void handled.push(`${e.streamId}@${e.version}`),
        deadLetters,
        clock,
        onDeadLetter: (entry) => void seen.push(entry),
      });
      const batch = records.map((r) =>
        keyOf(r) === 'job#b@2'
          ? { ...r, dynamodb: { ...r.dynamodb, NewImage: { ...r.dynamodb?.NewImage, version: { S: 'two' } } } }
          : r,
      );
      const poisoned = batch.find((r) => keyOf(r) === 'job#b@2');
      const first = await handler({ Records: batch });
      const again = await handler({ Records: batch });
      expect([first, again]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(handled.filter((k) => k.startsWith('job#b'))).toEqual(['job#b@1', 'job#b@3', 'job#b@1', 'job#b@3']);
      expect(handled).toHaveLength(2 * (records.length - 1));
      expect(await listAll(deadLetters.list())).toEqual([
        {
          streamId: 'job#b',
          version: 2,
          reason: expect.stringContaining('version') as unknown,
          raw: JSON.parse(JSON.stringify(poisoned)) as unknown,
          at: AT,
        },
      ]);
      expect(seen).toHaveLength(2);
    });

    it('ignores REMOVE and a MODIFY without a new image; a MODIFY with one is handled (a harmless duplicate)', async () => {
      const [r1, r2, r3] = records;
      const handled: string[] = [];
      const deadLetters = createMemoryDeadLetterStore();
      const handler = createStreamHandler({
        handle: async (e: RecordedEvent) => void handled.push(`${e.streamId}@${e.version}`),
        deadLetters,
        clock,
      });
      const body = (r: DynamoDBRecord | undefined) => ({ ...r?.dynamodb, NewImage: undefined });
      const batch: DynamoDBStreamEvent = {
        Records: [
          { ...r1, eventName: 'REMOVE', dynamodb: body(r1) },
          { ...r2, eventName: 'MODIFY', dynamodb: body(r2) },
          { ...r3, eventName: 'MODIFY' },
        ],
      };
      expect(await handler(batch)).toEqual({ batchItemFailures: [] });
      expect(handled).toEqual(['machine#c@1']);
      expect(deadLetters.size).toBe(0);
    });

    it('an unreachable dead-letter store is transient: the poisoned record and its stream wait', async () => {
      const handled: string[] = [];
      const handler = createStreamHandler({
        handle: async (e: RecordedEvent) => void handled.push(`${e.streamId}@${e.version}`),
        deadLetters: {
          put: () => Promise.reject(new Error('throttled')),
          list: () => createMemoryDeadLetterStore().list(),
        },
        clock,
      });
      const batch = records.map((r) =>
        keyOf(r) === 'job#a@1' ? { ...r, dynamodb: { ...r.dynamodb, NewImage: { nonsense: { S: 'x' } } } } : r,
      );
      const result = await handler({ Records: batch });
      expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
        records.filter((r) => keyOf(r).startsWith('job#a')).map(seqOf),
      );
      expect(handled).toEqual(['job#b@1', 'machine#c@1', 'job#b@2', 'machine#c@2', 'job#b@3']);
    });
  });

  describe('with the view-backed consumer', () => {
    beforeAll(makeTable, 60_000);
    afterAll(async () => client.send(new DeleteTableCommand({ TableName: tableName })));

    const snapshot = async (views: ViewStore): Promise<string> => {
      const kinds: ViewKind[] = ['job', 'machine', 'pool', 'runner-use', 'breaker'];
      const all = await Promise.all(kinds.map((kind) => listAll(views.list(kind))));

      return JSON.stringify(all.map((list) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1))));
    };

    it('a batch delivered twice changes nothing the second time', async () => {
      // A realistic history (jobs queued, launched, started, completed, a spot loss) from the in-memory world,
      // written to DynamoDB through the real store, read back off the real stream.
      const world = await runWorkload([
        { kind: 'queue', job: '1', label: 0 },
        { kind: 'queue', job: '2', label: 1 },
        { kind: 'queue', job: '3', label: 2 },
        { kind: 'start', job: '1', onMachineOf: '1' },
        { kind: 'interrupt', job: '2' },
        { kind: 'complete', job: '1', conclusion: 'success' },
      ]);
      const events = await allEvents(world);
      for (const e of events) {
        const appended = await store.append(
          e.streamId,
          [{ type: e.type, data: e.data, metadata: e.metadata }],
          e.version - 1,
        );
        expect(E.isRight(appended)).toBe(true);
      }
      const records = await lambdaRecords(client, tableName);
      expect(records).toHaveLength(events.length);

      const views = createMemoryViewStore();
      const dispatched: Command[] = [];
      const consumer = createViewBackedConsumer({
        store,
        views,
        bus: { dispatch: async (commands) => void dispatched.push(...commands) },
        settings: { defaultBackend: 'ec2' },
      });
      const deadLetters = createMemoryDeadLetterStore();
      const handler = createStreamHandler({ handle: consumer.handle, deadLetters, clock });
      const deliver = async (): Promise<void> => {
        for (let i = 0; i < records.length; i += 7) {
          expect(await handler({ Records: records.slice(i, i + 7) })).toEqual({ batchItemFailures: [] });
        }
      };

      await deliver();
      const afterFirst = await snapshot(views);
      const commandsAfterFirst = dispatched.length;
      expect(commandsAfterFirst).toBeGreaterThan(0);
      // Every job view folded its whole stream (nothing quarantined, nothing skipped).
      const lastVersion = new Map(
        events.filter((e) => e.streamId.startsWith('job#')).map((e) => [e.streamId, e.version]),
      );
      const jobViews = await listAll(views.list('job'));
      expect(new Map(jobViews.map((v) => [`job#${v.id}`, v.version]))).toEqual(lastVersion);

      await deliver();
      expect(await snapshot(views)).toBe(afterFirst);
      expect(dispatched).toHaveLength(commandsAfterFirst);
      expect(deadLetters.size).toBe(0);
    }, 60_000);
  });
});
