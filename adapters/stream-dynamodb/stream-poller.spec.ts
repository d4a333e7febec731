import { CreateTableCommand, DeleteTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  TrimmedDataAccessException,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  DescribeStreamCommandInput,
  GetRecordsCommandInput,
  GetShardIteratorCommandInput,
  _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetterEntry, DeadLetterStore, RecordedEvent } from '../../domain/store/index.js';
import { dynamodbLocalClient, freshTableName } from '../../test/harness/dynamodb-local-client.js';
import {
  LEASE_ATTRIBUTES,
  LEASE_TABLE_PK,
  LEASE_TABLE_SK,
  createLeaseTableInput,
  createStreamPoller,
} from './index.js';
import type { DecodeStreamRecord, IdentifyStreamRecord, StreamPoller, StreamPollerOptions } from './index.js';

/**
 * The poller against a scripted DynamoDB Streams (aws-sdk-client-mock: DynamoDB Local has one shard and never splits
 * it) and a REAL lease table on DynamoDB Local.
 */

const ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/events/stream/2026-01-01T00:00:00.000';

interface FakeShard {
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly records: StreamRecord[];
  closed: boolean;
}

/** A stream of shards whose records the test appends, closes and splits; the client answers from it. */
const createFakeStream = () => {
  const shards: FakeShard[] = [];
  const expire = new Map<string, number>();
  const trim = new Map<string, number>();
  const grants = new Map<string, number>();
  const reads = new Map<string, number>();
  let seq = 0;
  const client = new DynamoDBStreamsClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const mock = mockClient(client);
  const shard = (id: string): FakeShard => {
    const found = shards.find((s) => s.shardId === id);
    if (!found) throw new Error(`no shard ${id}`);

    return found;
  };
  const iterator = (shardId: string, index: number) => JSON.stringify({ shardId, index });
  mock.on(DescribeStreamCommand).callsFake((input: DescribeStreamCommandInput) => {
    // Pages of two shards, listed in the order the test added them.
    const from = input.ExclusiveStartShardId
      ? shards.findIndex((s) => s.shardId === input.ExclusiveStartShardId) + 1
      : 0;
    const page = shards.slice(from, from + 2);
    const more = from + 2 < shards.length;

    return {
      StreamDescription: {
        StreamArn: ARN,
        Shards: page.map((s) => ({ ShardId: s.shardId, ParentShardId: s.parentShardId })),
        LastEvaluatedShardId: more ? page[page.length - 1]?.shardId : undefined,
      },
    };
  });
  mock.on(GetShardIteratorCommand).callsFake((input: GetShardIteratorCommandInput) => {
    const s = shard(input.ShardId ?? '');
    grants.set(s.shardId, (grants.get(s.shardId) ?? 0) + 1);
    const at = s.records.findIndex((r) => r.dynamodb?.SequenceNumber === input.SequenceNumber);
    switch (input.ShardIteratorType) {
      case 'TRIM_HORIZON':
        return { ShardIterator: iterator(s.shardId, 0) };
      case 'AFTER_SEQUENCE_NUMBER':
        if (at < 0) throw new Error(`sequence number ${input.SequenceNumber} not in ${s.shardId}`);

        return { ShardIterator: iterator(s.shardId, at + 1) };
      default:
        throw new Error(`unexpected iterator type ${input.ShardIteratorType}`);
    }
  });
  mock.on(GetRecordsCommand).callsFake((input: GetRecordsCommandInput) => {
    const { shardId, index } = JSON.parse(input.ShardIterator ?? '') as { shardId: string; index: number };
    reads.set(shardId, (reads.get(shardId) ?? 0) + 1);
    if (expire.get(shardId) === reads.get(shardId)) {
      throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
    }
    // DynamoDB Local's answer for a shard that never held a record, until the iterator is renewed.
    if ((trim.get(shardId) ?? 0) >= (grants.get(shardId) ?? 0)) {
      throw new TrimmedDataAccessException({ message: 'trimmed', $metadata: {} });
    }
    const s = shard(shardId);
    const records = s.records.slice(index, index + (input.Limit ?? 1000));
    const end = index + records.length;

    return {
      Records: records,
      NextShardIterator: s.closed && end >= s.records.length ? undefined : iterator(shardId, end),
    };
  });

  return {
    client,
    mock,
    addShard: (shardId: string, parentShardId?: string): void =>
      void shards.push({ shardId, ...(parentShardId ? { parentShardId } : {}), records: [], closed: false }),
    append: (shardId: string, streamId: string, version: number, image?: Record<string, AttributeValue>): string => {
      const SequenceNumber = String(++seq).padStart(21, '0');
      const item = { streamId, version, type: 'E', data: { version }, metadata: { at: '2026-01-01T00:00:00.000Z' } };
      shard(shardId).records.push({
        eventID: `e-${SequenceNumber}`,
        eventName: 'INSERT',
        dynamodb: {
          Keys: marshall({ streamId, version }),
          NewImage: image ?? marshall(item),
          SequenceNumber,
          StreamViewType: 'NEW_IMAGE',
        },
      } as StreamRecord);

      return SequenceNumber;
    },
    close: (shardId: string): void => void (shard(shardId).closed = true),
    /** The `nth` GetRecords on the shard answers ExpiredIteratorException. */
    expireRead: (shardId: string, nth: number): void => void expire.set(shardId, nth),
    trimReads: (shardId: string, upTo: number): void => void trim.set(shardId, upTo),
  };
};

const decode: DecodeStreamRecord = (raw) => {
  const image = (raw as StreamRecord).dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
  if (image?.['version']?.N === undefined) return E.left({ kind: 'PermanentFailure', reason: 'no version', raw });
  const item = unmarshall(image);

  return E.right({
    streamId: String(item['streamId']),
    version: Number(item['version']),
    type: String(item['type']),
    data: item['data'],
    metadata: item['metadata'] as RecordedEvent['metadata'],
  });
};
const identify: IdentifyStreamRecord = (raw) => {
  const keys = (raw as StreamRecord).dynamodb?.Keys;

  return keys?.['streamId']?.S ? { streamId: keys['streamId'].S, version: Number(keys['version']?.N) } : null;
};

const key = (e: RecordedEvent): string => `${e.streamId}@${e.version}`;
const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventually = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleepMs(10);
  }
};
const memoryDeadLetters = (): DeadLetterStore & { entries: DeadLetterEntry[] } => {
  const entries: DeadLetterEntry[] = [];

  return {
    entries,
    put: async (entry) => void entries.push(entry),
    list: async function* () {
      yield* entries;
    },
  };
};

/**
 * A real lease table on DynamoDB Local per test and pollers over a scripted stream, stopped after each test; call it
 * inside a `describe`, whose hooks it registers.
 */
const leaseBench = () => {
  let dynamo: DynamoDBClient;
  let leaseTable: string;
  const pollers: StreamPoller[] = [];
  beforeAll(() => {
    dynamo = dynamodbLocalClient();
  });
  afterAll(() => dynamo.destroy());
  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((p) => p.stop()));
    if (leaseTable) await dynamo.send(new DeleteTableCommand({ TableName: leaseTable }));
  });

  return {
    freshLeaseTable: async (): Promise<string> => {
      leaseTable = freshTableName('leases');
      await dynamo.send(new CreateTableCommand(createLeaseTableInput(leaseTable)));

      return leaseTable;
    },
    lease: async (shardId: string): Promise<Record<string, unknown>> => {
      const r = await dynamo.send(
        new GetItemCommand({
          TableName: leaseTable,
          Key: { [LEASE_TABLE_PK]: { S: ARN }, [LEASE_TABLE_SK]: { S: shardId } },
          ConsistentRead: true,
        }),
      );

      return r.Item ? unmarshall(r.Item) : {};
    },
    poller: (
      stream: ReturnType<typeof createFakeStream>,
      owner: string,
      handling: Pick<StreamPollerOptions, 'handle' | 'handleBatch'>,
      extra: Partial<StreamPollerOptions> = {},
    ): StreamPoller => {
      const p = createStreamPoller({
        streamsClient: stream.client,
        dynamoClient: dynamo,
        streamArn: ARN,
        leaseTable,
        owner,
        ...handling,
        decode,
        identify,
        deadLetters: memoryDeadLetters(),
        clock: { now: () => Date.now() },
        leaseMs: 3_000,
        discoveryIntervalMs: 30,
        idleMs: 10,
        batchSize: 3,
        backoff: { baseMs: 5, maxMs: 40 },
        ...extra,
      });
      pollers.push(p);

      return p;
    },
  };
};

describe('[dynamodb-local] DynamoDB Streams poller (scripted stream, real lease table)', () => {
  const bench = leaseBench();
  const { freshLeaseTable, lease } = bench;
  const poller = (
    stream: ReturnType<typeof createFakeStream>,
    owner: string,
    handle: (e: RecordedEvent) => Promise<unknown>,
    extra: Partial<StreamPollerOptions> = {},
  ): StreamPoller => bench.poller(stream, owner, { handle }, extra);

  it('processes a parent shard to its end before any child; a parent gone from the stream counts as done', async () => {
    await freshLeaseTable();
    const stream = createFakeStream();
    // Children listed before their parents, over several DescribeStream pages.
    stream.addShard('shardId-3-grandchild', 'shardId-2-child');
    stream.addShard('shardId-2-child', 'shardId-1-parent');
    stream.addShard('shardId-9-orphan', 'shardId-0-trimmed');
    stream.addShard('shardId-1-parent');
    for (let v = 1; v <= 4; v++) stream.append('shardId-1-parent', 'job#1', v);
    stream.close('shardId-1-parent');
    for (let v = 5; v <= 7; v++) stream.append('shardId-2-child', 'job#1', v);
    stream.close('shardId-2-child');
    for (let v = 8; v <= 9; v++) stream.append('shardId-3-grandchild', 'job#1', v);
    for (let v = 1; v <= 2; v++) stream.append('shardId-9-orphan', 'job#2', v);

    const handled: string[] = [];
    const p = poller(stream, 'a', async (e) => {
      if (e.version <= 4 && e.streamId === 'job#1') await sleepMs(15); // a slow parent
      handled.push(key(e));
    });
    await p.start();
    await eventually(() => handled.length === 11, 'every record');
    expect(handled.filter((k) => k.startsWith('job#1'))).toEqual(Array.from({ length: 9 }, (_, i) => `job#1@${i + 1}`));
    expect(handled.filter((k) => k.startsWith('job#2'))).toEqual(['job#2@1', 'job#2@2']);

    // No iterator was asked for a child before its parent's last read.
    const calls = stream.mock.calls().map((c) => c.args[0].input as Record<string, unknown>);
    const firstIteratorOf = (shardId: string) => calls.findIndex((i) => i['ShardId'] === shardId);
    const lastReadOf = (shardId: string) =>
      calls.findLastIndex((i) => typeof i['ShardIterator'] === 'string' && i['ShardIterator'].includes(shardId));
    expect(firstIteratorOf('shardId-2-child')).toBeGreaterThan(lastReadOf('shardId-1-parent'));
    expect(firstIteratorOf('shardId-3-grandchild')).toBeGreaterThan(lastReadOf('shardId-2-child'));

    expect(await lease('shardId-1-parent')).toMatchObject({ finished: true, checkpoint: '000000000000000000004' });
    expect(await lease('shardId-2-child')).toMatchObject({ finished: true, checkpoint: '000000000000000000007' });
    expect(await lease('shardId-3-grandchild')).toMatchObject({ owner: 'a' });

    // The grandchild splits in two: more records, then its children after its end.
    stream.append('shardId-3-grandchild', 'job#1', 10);
    stream.close('shardId-3-grandchild');
    stream.addShard('shardId-4-left', 'shardId-3-grandchild');
    stream.addShard('shardId-5-right', 'shardId-3-grandchild');
    stream.append('shardId-4-left', 'job#1', 11);
    stream.append('shardId-5-right', 'job#3', 1);
    await eventually(() => handled.length === 14, 'the split shards');
    expect(handled.slice(11, 12)).toEqual(['job#1@10']);
    expect(new Set(handled.slice(12))).toEqual(new Set(['job#1@11', 'job#3@1']));
  });

  it('two pollers split the shards and never process a record the other did', async () => {
    await freshLeaseTable();
    const stream = createFakeStream();
    const shardIds = ['shardId-a', 'shardId-b', 'shardId-c', 'shardId-d'];
    let version = 0;
    const appendRound = () => shardIds.forEach((s, i) => stream.append(s, `job#${i}`, ++version));
    shardIds.forEach((s) => stream.addShard(s));
    appendRound();
    const byOwner = { a: [] as string[], b: [] as string[] };
    const a = poller(stream, 'a', async (e) => void byOwner.a.push(key(e)));
    const b = poller(stream, 'b', async (e) => void byOwner.b.push(key(e)));
    await a.start();
    await eventually(() => a.held().length === 4, 'a to take every shard while alone');
    await b.start();
    await eventually(() => a.held().length === 2 && b.held().length === 2, 'the shards to be split two and two');
    expect(new Set([...a.held(), ...b.held()])).toEqual(new Set(shardIds));
    for (let round = 0; round < 5; round++) {
      appendRound();
      await sleepMs(20);
    }
    await eventually(() => byOwner.a.length + byOwner.b.length === version, 'every record');
    await sleepMs(100); // room for a duplicate to show up
    const all = [...byOwner.a, ...byOwner.b];
    expect(all).toHaveLength(version);
    expect(new Set(all).size).toBe(version);
    expect(byOwner.a.filter((k) => byOwner.b.includes(k))).toEqual([]);
    expect(byOwner.b.length).toBeGreaterThan(0);
  });

  it('a poller whose lease was taken over stops processing that shard', async () => {
    await freshLeaseTable();
    const stream = createFakeStream();
    stream.addShard('shardId-only');
    for (let v = 1; v <= 3; v++) stream.append('shardId-only', 'job#1', v);
    let skew = 0;
    const clock = { now: () => Date.now() + skew };
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const byA: string[] = [];
    const byB: string[] = [];
    const a = poller(
      stream,
      'a',
      async (e) => {
        if (e.version === 2) await gate; // a stalls (a long GC pause, a hung call) with the lease in hand
        byA.push(key(e));
      },
      { clock },
    );
    await a.start();
    await eventually(() => byA.length === 1, 'a to stall on the second record');
    skew = 3_001; // a's lease runs out
    const b = poller(stream, 'b', async (e) => void byB.push(key(e)), { clock });
    await b.start();
    await eventually(() => byB.length === 3, 'b to take the shard over');
    release();
    for (let v = 4; v <= 6; v++) stream.append('shardId-only', 'job#1', v);
    await eventually(() => byB.length === 6, 'b to read on');
    await eventually(() => a.held().length === 0, 'a to let go');
    await sleepMs(100);
    expect(byA).toEqual(['job#1@1', 'job#1@2']); // the record in flight completes; nothing after it
    expect(byB).toEqual(Array.from({ length: 6 }, (_, i) => `job#1@${i + 1}`));
    expect(b.held()).toEqual(['shardId-only']);
    expect(await lease('shardId-only')).toMatchObject({ owner: 'b', [LEASE_ATTRIBUTES.leaseCounter]: 2 });
  });

  it('renews an iterator that GetRecords answers with TrimmedDataAccessException (DynamoDB Local, empty shard)', async () => {
    await freshLeaseTable();
    const stream = createFakeStream();
    stream.addShard('shardId-t');
    stream.append('shardId-t', 'job#7', 1);
    stream.close('shardId-t');
    stream.trimReads('shardId-t', 2);
    const handled: string[] = [];
    const p = poller(stream, 'a', async (e) => void handled.push(key(e)));
    await p.start();
    await eventually(async () => (await lease('shardId-t'))['finished'] === true, 'the shard to finish');
    await p.stop();
    expect(handled).toEqual(['job#7@1']);
  });

  it('retries a failing record without passing it, dead-letters a poisoned one, survives an expired iterator', async () => {
    await freshLeaseTable();
    const stream = createFakeStream();
    stream.addShard('shardId-x');
    stream.append('shardId-x', 'job#1', 1);
    stream.append('shardId-x', 'job#1', 2, { version: { S: 'two' } });
    const third = stream.append('shardId-x', 'job#1', 3);
    stream.append('shardId-x', 'job#1', 4);
    const last = stream.append('shardId-x', 'job#1', 5);
    stream.close('shardId-x');
    stream.expireRead('shardId-x', 2);
    const deadLetters = memoryDeadLetters();
    const handled: string[] = [];
    let failures = 0;
    const p = poller(
      stream,
      'a',
      async (e) => {
        if (e.version === 3 && failures < 2) {
          failures += 1;
          throw new Error('view store throttled');
        }
        handled.push(key(e));
      },
      { deadLetters },
    );
    await p.start();
    await eventually(async () => (await lease('shardId-x'))['finished'] === true, 'the shard to finish');
    expect(handled).toEqual(['job#1@1', 'job#1@3', 'job#1@4', 'job#1@5']);
    expect(failures).toBe(2);
    expect(deadLetters.entries).toMatchObject([{ streamId: 'job#1', version: 2, reason: 'no version' }]);
    expect(await lease('shardId-x')).toMatchObject({ checkpoint: last, finished: true });
    const iterators = stream.mock
      .commandCalls(GetShardIteratorCommand)
      .map((c) => [c.args[0].input.ShardIteratorType, c.args[0].input.SequenceNumber]);
    // The second read found its iterator expired: a new one from the checkpoint, not from the start.
    expect(iterators).toEqual([
      ['TRIM_HORIZON', undefined],
      ['AFTER_SEQUENCE_NUMBER', third],
    ]);
  });
});

describe('[dynamodb-local] DynamoDB Streams poller, a page at a time (scripted stream, real lease table)', () => {
  const bench = leaseBench();
  const { freshLeaseTable, lease } = bench;
  const pagePoller = (
    stream: ReturnType<typeof createFakeStream>,
    owner: string,
    handleBatch: (events: ReadonlyArray<RecordedEvent>) => Promise<unknown>,
    extra: Partial<StreamPollerOptions> = {},
  ): StreamPoller => bench.poller(stream, owner, { handleBatch }, extra);

  it('hands each page over whole, in shard order; a failing page is retried whole and the checkpoint waits before it', async () => {
    await freshLeaseTable();
    const stream = createFakeStream();
    stream.addShard('shardId-p');
    // Two event streams interleaved, three records a page; the second page holds a record that will never decode.
    stream.append('shardId-p', 'job#1', 1);
    stream.append('shardId-p', 'job#2', 1);
    const endOfFirstPage = stream.append('shardId-p', 'job#1', 2);
    stream.append('shardId-p', 'job#2', 2, { version: { S: 'two' } });
    stream.append('shardId-p', 'job#1', 3);
    const last = stream.append('shardId-p', 'job#2', 3);
    stream.close('shardId-p');
    const deadLetters = memoryDeadLetters();
    const pages: string[][] = [];
    const checkpointsWhileFailing: unknown[] = [];
    let failures = 0;
    const p = pagePoller(
      stream,
      'a',
      async (events) => {
        pages.push(events.map(key));
        if (events.some((e) => e.streamId === 'job#1' && e.version === 3) && failures < 2) {
          failures += 1;
          checkpointsWhileFailing.push((await lease('shardId-p'))['checkpoint']);
          throw new Error('view store throttled');
        }
      },
      { deadLetters },
    );
    await p.start();
    await eventually(async () => (await lease('shardId-p'))['finished'] === true, 'the shard to finish');
    expect(pages).toEqual([
      ['job#1@1', 'job#2@1', 'job#1@2'],
      ['job#1@3', 'job#2@3'],
      ['job#1@3', 'job#2@3'],
      ['job#1@3', 'job#2@3'],
    ]);
    // The page failed twice with the checkpoint at the end of the page before it, and its poisoned record was
    // dead-lettered once, not once per try.
    expect(checkpointsWhileFailing).toEqual([endOfFirstPage, endOfFirstPage]);
    expect(deadLetters.entries).toMatchObject([{ streamId: 'job#2', version: 2, reason: 'no version' }]);
    expect(await lease('shardId-p')).toMatchObject({ checkpoint: last, finished: true });
  });

  it('a poller that dies in the middle of a page leaves the whole page to the next owner: nothing is lost', async () => {
    await freshLeaseTable();
    const stream = createFakeStream();
    stream.addShard('shardId-c');
    for (let v = 1; v <= 3; v++) stream.append('shardId-c', `job#${v}`, 1);
    for (let v = 1; v <= 3; v++) stream.append('shardId-c', `job#${v}`, 2);
    // a's clock stops when it freezes (a process paused, then killed: it renews nothing any more); b's runs ahead.
    let frozenAt: number | null = null;
    const clockA = { now: () => frozenAt ?? Date.now() };
    const clockB = { now: () => Date.now() + 3_001 };
    let unfreeze: () => void = () => undefined;
    const frozen = new Promise<void>((r) => (unfreeze = r));
    const byA: string[][] = [];
    const byB: string[][] = [];
    const a = pagePoller(
      stream,
      'a',
      async (events) => {
        byA.push(events.map(key));
        if (events.some((e) => e.version === 2)) {
          frozenAt = Date.now();
          await frozen;
        }
      },
      { clock: clockA },
    );
    await a.start();
    await eventually(() => byA.length === 2, 'a to freeze in its second page');
    const b = pagePoller(stream, 'b', async (events) => void byB.push(events.map(key)), { clock: clockB });
    await b.start();
    await eventually(() => byB.length === 1, 'b to take the shard over');
    expect(byB).toEqual([['job#1@2', 'job#2@2', 'job#3@2']]); // the interrupted page, whole, and nothing before it
    unfreeze();
    await eventually(() => a.held().length === 0, 'a to find its lease gone');
    stream.append('shardId-c', 'job#1', 3);
    await eventually(() => byB.length === 2, 'b to read on');
    expect(byA).toEqual([
      ['job#1@1', 'job#2@1', 'job#3@1'],
      ['job#1@2', 'job#2@2', 'job#3@2'],
    ]);
    expect(byB).toEqual([['job#1@2', 'job#2@2', 'job#3@2'], ['job#1@3']]);
    expect(await lease('shardId-c')).toMatchObject({ owner: 'b', [LEASE_ATTRIBUTES.leaseCounter]: 2 });
  });

  it('keeps its lease while a page takes longer than a lease: a second poller never takes the shard', async () => {
    await freshLeaseTable();
    const stream = createFakeStream();
    stream.addShard('shardId-slow');
    for (let v = 1; v <= 3; v++) stream.append('shardId-slow', 'job#1', v);
    let skew = 0;
    const clock = { now: () => Date.now() + skew };
    const byA: string[] = [];
    const byB: string[] = [];
    const leaseMs = 1_500;
    const a = pagePoller(
      stream,
      'a',
      async (events) => {
        // A page that lasts two leases by the clock; the lease is renewed every third of a lease meanwhile.
        for (let step = 0; step < 6; step++) {
          skew += leaseMs / 3;
          await sleepMs(leaseMs / 3 + 100);
        }
        byA.push(...events.map(key));
      },
      { clock, leaseMs },
    );
    await a.start();
    await eventually(() => a.held().length === 1, 'a to take the shard');
    const b = pagePoller(stream, 'b', async (events) => void byB.push(...events.map(key)), { clock, leaseMs });
    await b.start();
    await eventually(() => byA.length === 3, 'the slow page', 20_000);
    await sleepMs(200);
    expect(byB).toEqual([]);
    expect(a.held()).toEqual(['shardId-slow']);
    expect(await lease('shardId-slow')).toMatchObject({ owner: 'a', [LEASE_ATTRIBUTES.leaseCounter]: 1 });
  }, 30_000);
});
