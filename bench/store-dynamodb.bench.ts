/**
 * The DynamoDB event store on DynamoDB Local (DESIGN section 7): append throughput (single events and batches of 10,
 * 4 concurrent callers) and stream lag (append call → record seen by a tight GetRecords loop on the table stream, at
 * 200 appends/s with at most 8 in flight; the achieved rate is reported beside it). Each benchmark starts its own
 * emulator (benchmarks run outside vitest) and stops it.
 *
 * Also measures, under free names, the sequential latency of the three ways a single event can be appended, which is
 * how the store's choice was made: PutItem alone (a first event), TransactWriteItems ConditionCheck + Put (what the
 * store does at expected > 0) and the alternative it rejected, a consistent GetItem of the expected version then PutItem.
 */
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as E from 'fp-ts/lib/Either.js';
import {
  createDynamoDbEventStore,
  createEventsTableInput,
  decodeStreamRecord,
} from '../adapters/store-dynamodb/index.js';
import type { EventStore, NewEvent } from '../domain/store/index.js';
import { createDynamoDbLocalClient, freshTableName, startDynamoDbLocal } from '../test/harness/dynamodb-local.js';
import {
  APPEND_BATCH_THROUGHPUT_DYNAMODB_LOCAL,
  APPEND_THROUGHPUT_DYNAMODB_LOCAL,
  STREAM_LAG_P50_DYNAMODB_LOCAL,
  STREAM_LAG_P99_DYNAMODB_LOCAL,
} from './lib/metric-names.js';
import { measure, percentile, perSecond, sortedAscending } from './lib/stats.js';
import type { Benchmark, Metric } from './lib/types.js';

const CALLERS = 4;
const SINGLE_EVENTS = 3000;
const BATCHES = 300;
const BATCH_SIZE = 10;
/** Single-event appends go to streams of this many events (the first is a PutItem, the rest transactions). */
const STREAM_LENGTH = 10;
const LAG_RATE_PER_S = 200;
const LAG_SECONDS = 5;
const LAG_STREAMS = 50;
const LAG_MAX_IN_FLIGHT = 8;
const LATENCY_SAMPLES = 300;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
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

type Seen = (key: string, at: number) => void;

/** One GetRecords per shard; returns how many records came. */
const pollShards = async (streams: DynamoDBStreamsClient, iterators: Array<string | undefined>, seen: Seen) => {
  let got = 0;
  for (const [i, ShardIterator] of iterators.entries()) {
    if (!ShardIterator) continue;
    const page = await streams.send(new GetRecordsCommand({ ShardIterator }));
    const now = performance.now();
    for (const record of page.Records ?? []) {
      const decoded = decodeStreamRecord(record);
      if (E.isRight(decoded)) seen(`${decoded.right.streamId}@${decoded.right.version}`, now);
    }
    got += page.Records?.length ?? 0;
    iterators[i] = page.NextShardIterator;
  }

  return got;
};

/** Tight GetRecords loop over every shard of the table's stream (2 ms pause only after an empty round). */
const tailStream = (streams: DynamoDBStreamsClient, StreamArn: string, seen: Seen): { stop(): Promise<void> } => {
  let running = true;
  const loop = async (): Promise<void> => {
    const description = await streams.send(new DescribeStreamCommand({ StreamArn }));
    const iterators = await Promise.all(
      (description.StreamDescription?.Shards ?? []).map(async ({ ShardId }) => {
        const it = new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: 'TRIM_HORIZON' });

        return (await streams.send(it)).ShardIterator;
      }),
    );
    while (running) if ((await pollShards(streams, iterators, seen)) === 0) await sleep(2);
  };
  const done = loop();

  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
};

interface Lag {
  readonly p50: number;
  readonly p99: number;
  /** p50 of the appends themselves during the run: when it is far below the lag, the stream is the slow part. */
  readonly appendP50: number;
  /** Appends/s actually offered (lower than LAG_RATE_PER_S when MAX_IN_FLIGHT held the generator back). */
  readonly rate: number;
}

/**
 * Appends at LAG_RATE_PER_S (open loop, at most LAG_MAX_IN_FLIGHT outstanding) round robin over LAG_STREAMS streams
 * while a tight GetRecords loop tails the stream; lag = record seen − append called.
 */
const streamLag = async (client: DynamoDBClient, endpoint: string): Promise<Lag> => {
  const tableName = await newTable(client, 'bench-lag');
  const store = createDynamoDbEventStore({ client, tableName });
  const streams = new DynamoDBStreamsClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const StreamArn = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamArn;
  if (!StreamArn) throw new Error('table has no stream');
  const sent = new Map<string, number>();
  const lags: number[] = [];
  const appendMs: number[] = [];
  const tail = tailStream(streams, StreamArn, (key, at) => {
    const t0 = sent.get(key);
    if (t0 === undefined) return;
    lags.push(at - t0);
    sent.delete(key);
  });
  const total = LAG_RATE_PER_S * LAG_SECONDS;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / LAG_RATE_PER_S - performance.now();
    if (wait > 0) await sleep(wait);
    while (inFlight.size >= LAG_MAX_IN_FLIGHT) await Promise.race(inFlight);
    // A stream's previous append was issued LAG_STREAMS appends earlier, more than can be in flight: it is done.
    const streamId = `job#lag-${i % LAG_STREAMS}`;
    const version = Math.floor(i / LAG_STREAMS) + 1;
    const t0 = performance.now();
    sent.set(`${streamId}@${version}`, t0);
    const p = store
      .append(streamId, [event(i)], version - 1)
      .then((r) => {
        must(r);
        appendMs.push(performance.now() - t0);
      })
      .catch((e: unknown) => void (failure ??= e))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  const rate = perSecond(total, performance.now() - start);
  const deadline = performance.now() + 10_000;
  while (sent.size > 0 && performance.now() < deadline) await sleep(10);
  await tail.stop();
  streams.destroy();
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  if (sent.size > 0) throw new Error(`${sent.size} of ${total} appended events never showed up on the stream`);
  const sorted = sortedAscending(lags);

  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    appendP50: percentile(sortedAscending(appendMs), 50),
    rate,
  };
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
  {
    name: 'stream_lag.dynamodb_local',
    run: () =>
      withDynamoDbLocal(async (client, url) => {
        const lag = await streamLag(client, url);
        log(
          `stream lag p50 ${lag.p50.toFixed(1)} ms, p99 ${lag.p99.toFixed(1)} ms ` +
            `(appends p50 ${lag.appendP50.toFixed(1)} ms at ${lag.rate.toFixed(0)}/s)`,
        );

        return [
          { name: STREAM_LAG_P50_DYNAMODB_LOCAL, value: round(lag.p50, 1), unit: 'ms' },
          { name: STREAM_LAG_P99_DYNAMODB_LOCAL, value: round(lag.p99, 1), unit: 'ms' },
          { name: 'stream_lag.append_p50.dynamodb_local', value: round(lag.appendP50, 1), unit: 'ms' },
          { name: 'stream_lag.offered_rate.dynamodb_local', value: round(lag.rate), unit: 'appends/s' },
        ];
      }),
  },
];
