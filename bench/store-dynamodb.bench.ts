/**
 * The DynamoDB event store on DynamoDB Local (DESIGN section 7): append throughput (single events and batches of 10,
 * 4 concurrent callers). The benchmark starts its own emulator (benchmarks run outside vitest) and stops it. Stream lag
 * (append → applied to the views through the real stream poller and consumer) is in stream-lag.bench.ts.
 *
 * Also measures, under free names, the sequential latency of the three ways a single event can be appended, which is
 * how the store's choice was made: PutItem alone (a first event), TransactWriteItems ConditionCheck + Put (what the
 * store does at expected > 0) and the alternative it rejected, a consistent GetItem of the expected version then PutItem.
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as E from 'fp-ts/lib/Either.js';
import { createDynamoDbEventStore, createEventsTableInput } from '../adapters/store-dynamodb/index.js';
import type { EventStore, NewEvent } from '../domain/store/index.js';
import { createDynamoDbLocalClient, freshTableName, startDynamoDbLocal } from '../test/harness/dynamodb-local.js';
import { APPEND_BATCH_THROUGHPUT_DYNAMODB_LOCAL, APPEND_THROUGHPUT_DYNAMODB_LOCAL } from './lib/metric-names.js';
import { measure, percentile, perSecond, sortedAscending } from './lib/stats.js';
import type { Benchmark, Metric } from './lib/types.js';

const CALLERS = 4;
const SINGLE_EVENTS = 3000;
const BATCHES = 300;
const BATCH_SIZE = 10;
/** Single-event appends go to streams of this many events (the first is a PutItem, the rest transactions). */
const STREAM_LENGTH = 10;
const LATENCY_SAMPLES = 300;

const log = (line: string): void => void process.stderr.write(`[store-dynamodb] ${line}\n`);

const event = (i: number): NewEvent => ({
  type: 'JobQueued',
  data: { jobId: i, labels: ['runs-fleet/cpu=4/arch=arm64'], repo: 'acme/widgets', runId: 1000 + i },
  metadata: { at: '2024-05-01T10:00:00.000Z', deliveryId: `delivery-${i}`, correlationId: `corr-${i}` },
});

const must = <A>(r: E.Either<unknown, A>): A => {
  if (E.isLeft(r)) throw new Error(`unexpected ${JSON.stringify(r.left)}`);

  return r.right;
};

interface Load {
  readonly tag: string;
  readonly total: number;
  readonly size: number;
  readonly streamLength: number;
}

/** `total` events appended `size` at a time by CALLERS concurrent callers, each filling its own streams in turn. */
const appendLoad = async (store: EventStore, { tag, total, size, streamLength }: Load): Promise<number> => {
  const perCaller = Math.ceil(total / size / CALLERS);
  const caller = async (c: number): Promise<void> => {
    let version = 0;
    let stream = 0;
    for (let i = 0; i < perCaller; i++) {
      if (version >= streamLength) [version, stream] = [0, stream + 1];
      const events = Array.from({ length: size }, (_, k) => event(i * size + k));
      version = must(await store.append(`job#${tag}-${c}-${stream}`, events, version)).version;
    }
  };
  const { ms } = await measure(() => Promise.all(Array.from({ length: CALLERS }, (_, c) => caller(c))));

  return perSecond(perCaller * CALLERS * size, ms);
};

const newTable = async (client: DynamoDBClient, prefix: string): Promise<string> => {
  const tableName = freshTableName(prefix);
  await client.send(new CreateTableCommand(createEventsTableInput(tableName)));

  return tableName;
};

/** p50 ms of LATENCY_SAMPLES sequential single-event appends done three ways. */
const singleAppendLatencies = async (client: DynamoDBClient): Promise<Metric[]> => {
  const tableName = await newTable(client, 'bench-latency');
  const store = createDynamoDbEventStore({ client, tableName });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const p50 = async (fn: (i: number) => Promise<void>): Promise<number> => {
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) samples.push((await measure(() => fn(i))).ms);

    return percentile(sortedAscending(samples), 50);
  };
  const put = await p50(async (i) => void must(await store.append(`job#put-${i}`, [event(i)], 0)));
  await store.append('job#transact', [event(0)], 0);
  const transact = await p50(async (i) => void must(await store.append('job#transact', [event(i)], i + 1)));
  await store.append('job#get-put', [event(0)], 0);
  const getThenPut = await p50(async (i) => {
    const key = { streamId: 'job#get-put', version: i + 1 };
    const got = await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
    if (!got.Item) throw new Error('expected version missing');
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...key, version: i + 2, type: 'JobQueued', data: event(i).data, metadata: event(i).metadata },
        ConditionExpression: 'attribute_not_exists(#v)',
        ExpressionAttributeNames: { '#v': 'version' },
      }),
    );
  });
  await client.send(new DeleteTableCommand({ TableName: tableName }));

  return [
    { name: 'append.single_latency.p50.put.dynamodb_local', value: put, unit: 'ms' },
    { name: 'append.single_latency.p50.transaction.dynamodb_local', value: transact, unit: 'ms' },
    { name: 'append.single_latency.p50.get_then_put.dynamodb_local', value: getThenPut, unit: 'ms' },
  ];
};

const round = (n: number, digits = 0): number => Number(n.toFixed(digits));

/** Runs `fn` on a freshly started, warmed-up DynamoDB Local, then stops it. */
const withDynamoDbLocal = async (
  fn: (client: DynamoDBClient, endpoint: string) => Promise<Metric[]>,
): Promise<Metric[]> => {
  const ddb = await startDynamoDbLocal();
  log(`DynamoDB Local on ${ddb.endpoint} answered in ${ddb.startMs.toFixed(0)} ms`);
  const client = createDynamoDbLocalClient(ddb.endpoint);
  try {
    // The JVM compiles its hot paths first.
    const tableName = await newTable(client, 'bench-warmup');
    const warm = createDynamoDbEventStore({ client, tableName });
    await appendLoad(warm, { tag: 'warmup', total: 400, size: 1, streamLength: STREAM_LENGTH });
    await appendLoad(warm, { tag: 'warmup-batch', total: 400, size: BATCH_SIZE, streamLength: 100 });
    await client.send(new DeleteTableCommand({ TableName: tableName }));

    return await fn(client, ddb.endpoint);
  } finally {
    client.destroy();
    await ddb.stop();
  }
};

// Each benchmark gets its own emulator: DynamoDB Local slows down as data piles up (GetRecords on an empty stream takes
// ~4 ms fresh and ~20 ms once 36k stream records exist, deleted tables' included), so sharing one would make the
// numbers depend on the order they run in.
export const benchmarks: Benchmark[] = [
  {
    name: 'append.dynamodb_local',
    run: () =>
      withDynamoDbLocal(async (client) => {
        const tableName = await newTable(client, 'bench-append');
        const store = createDynamoDbEventStore({ client, tableName });
        const single = await appendLoad(store, {
          tag: 'single',
          total: SINGLE_EVENTS,
          size: 1,
          streamLength: STREAM_LENGTH,
        });
        log(`single-event appends: ${single.toFixed(0)} events/s`);
        const batch = await appendLoad(store, {
          tag: 'batch',
          total: BATCHES * BATCH_SIZE,
          size: BATCH_SIZE,
          streamLength: 100,
        });
        log(`10-event appends: ${batch.toFixed(0)} events/s`);
        await client.send(new DeleteTableCommand({ TableName: tableName }));
        const latencies = await singleAppendLatencies(client);

        return [
          { name: APPEND_THROUGHPUT_DYNAMODB_LOCAL, value: round(single), unit: 'events/s' },
          { name: APPEND_BATCH_THROUGHPUT_DYNAMODB_LOCAL, value: round(batch), unit: 'events/s' },
          ...latencies.map((m) => ({ ...m, value: round(m.value, 2) })),
        ];
      }),
  },
];
