/**
 * Stream lag (DESIGN section 7): ms from an append's acknowledgement (the moment `append` resolves, the events
 * durable) to each of its events being applied to the views by the real consumer. Every append is what a queued
 * webhook records, JobQueued + RunnerRequested on a new job stream (bench/lib/queued-job.ts), offered open loop.
 * Commands the decisions emit are dropped, so the only load is the appends under test.
 *
 * - stream_lag.p50/p99.sqlite: SQLite store (WAL, synchronous=FULL, group commit) → change feed → the feed consumer of
 *   `serve` → pipeline (decode, ReadModels.apply, react) → SQLite view store, wired as handlers/serve/service.ts
 *   wires them; "applied" is the moment ReadModels.apply took the event. SQLITE_RATE appends/s for SECONDS.
 * - stream_lag.p50/p99.dynamodb_local: DynamoDB event store → the table's stream → the stream poller (leases,
 *   checkpoints, POLL_IDLE_MS after an empty read) → the view-backed consumer on the DynamoDB views table; "applied" is
 *   the moment its changed views were written. DYNAMODB_RATE appends/s (what the emulator sustains through this path,
 *   reported beside it). Extra: the same path with the pipeline on in-memory read models instead of the views table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { openSqliteEventStore } from '../adapters/store-sqlite/index.js';
import { openSqliteViewStore } from '../adapters/views-sqlite/index.js';
import type { CommandBus } from '../domain/ports/command-bus.js';
import { jobStreamId } from '../domain/shared/ids.js';
import type { EventStore } from '../domain/store/index.js';
import { createFeedConsumer } from '../handlers/app/feed-consumer.js';
import { createPipeline } from '../handlers/app/pipeline.js';
import { ReadModels } from '../projections/read-models.js';
import { startDynamoDbRig, type ConsumerOptions, type DynamoDbRig } from './lib/dynamodb-rig.js';
import {
  describe,
  loadAverage,
  progress,
  round,
  sharedClockMs,
  sleep,
  summarise,
  waitUntil,
  type LatencySummary,
} from './lib/latency.js';
import {
  STREAM_LAG_P50_DYNAMODB_LOCAL,
  STREAM_LAG_P50_SQLITE,
  STREAM_LAG_P99_DYNAMODB_LOCAL,
  STREAM_LAG_P99_SQLITE,
} from './lib/metric-names.js';
import { queuedJobEvents } from './lib/queued-job.js';
import type { Benchmark, Metric } from './lib/types.js';

const SECONDS = 5;
const WARMUP_SECONDS = 1;
const SQLITE_RATE = 200;
const DYNAMODB_RATE = 10;
const DYNAMODB_READ_MODELS_RATE = 100;
const POLL_IDLE_MS = 5;
const SETTLE_MS = 15_000;

const log = progress('stream-lag');
const droppingBus: CommandBus = { dispatch: async () => undefined };

/** Appended-event keys (`streamId@version`) → when their append resolved, and when they were applied. */
class Lags {
  readonly acked = new Map<string, number>();
  readonly applied = new Map<string, number>();
  /** Only where the consumer reports a hand-over before its work (the stream poller). */
  readonly delivered = new Map<string, number>();

  applyAt(streamId: string, version: number, at: number): void {
    const key = `${streamId}@${version}`;
    if (!this.applied.has(key)) this.applied.set(key, at);
  }

  deliverAt(streamId: string, version: number, at: number): void {
    const key = `${streamId}@${version}`;
    if (!this.delivered.has(key)) this.delivered.set(key, at);
  }

  /** ms from ack to the poller handing the record over, when it did. */
  delivery(): LatencySummary | undefined {
    const lags = [...this.acked].flatMap(([key, acked]) => {
      const at = this.delivered.get(key);

      return at === undefined ? [] : [Math.max(0, at - acked)];
    });

    return lags.length === 0 ? undefined : summarise(lags);
  }

  pending(): number {
    let n = 0;
    for (const key of this.acked.keys()) if (!this.applied.has(key)) n++;

    return n;
  }

  /** Lags of the acknowledged events (an event applied before its append's promise settled counts 0). */
  summary(): LatencySummary & { readonly early: number } {
    const lags: number[] = [];
    let early = 0;
    for (const [key, acked] of this.acked) {
      const applied = this.applied.get(key);
      if (applied === undefined) throw new Error(`${key} was never applied`);
      if (applied < acked) early++;
      lags.push(Math.max(0, applied - acked));
    }

    return { ...summarise(lags), early };
  }
}

let nextJobId = 1_000_000;

/** Open loop: append i (a new job) leaves at start + i / rate; returns the rate actually offered. */
const appendOpenLoop = async (store: EventStore, rate: number, seconds: number, lags: Lags): Promise<number> => {
  const total = Math.round(rate * seconds);
  const acks: Array<Promise<void>> = [];
  let failure: unknown;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const jobId = nextJobId++;
    const streamId = jobStreamId(String(jobId));
    const events = queuedJobEvents(jobId, new Date().toISOString());
    acks.push(
      store.append(streamId, events, 0).then(
        (result) => {
          const at = sharedClockMs();
          if (E.isLeft(result)) failure ??= new Error(`unexpected conflict on ${streamId}`);
          else events.forEach((_, v) => lags.acked.set(`${streamId}@${v + 1}`, at));
        },
        (error: unknown) => void (failure ??= error),
      ),
    );
  }
  const offered = (total * 1000) / (performance.now() - start);
  await Promise.all(acks);
  if (failure !== undefined) throw failure;

  return offered;
};

/** Warm-up (discarded), then the measured run; waits for every event to be applied. */
const measure = async (
  store: EventStore,
  rate: number,
  track: { current: Lags },
  label: string,
): Promise<{ lag: ReturnType<Lags['summary']>; delivery?: LatencySummary; offered: number }> => {
  track.current = new Lags();
  await appendOpenLoop(store, rate, WARMUP_SECONDS, track.current);
  await waitUntil(() => track.current.pending() === 0, SETTLE_MS);
  track.current = new Lags();
  const offered = await appendOpenLoop(store, rate, SECONDS, track.current);
  if (!(await waitUntil(() => track.current.pending() === 0, SETTLE_MS))) {
    throw new Error(`${label}: ${track.current.pending()} events not applied ${SETTLE_MS} ms after the last append`);
  }
  const lag = track.current.summary();
  const delivery = track.current.delivery();
  log(
    `${label}: ${describe(lag)} at ${offered.toFixed(0)} appends/s (${lag.early} applied before the ack settled)` +
      `${delivery === undefined ? '' : `; handed over by the poller: ${describe(delivery)}`}; ` +
      `load average ${await loadAverage()}`,
  );

  return { lag, offered, ...(delivery === undefined ? {} : { delivery }) };
};

const sqlite = async (): Promise<ReadonlyArray<Metric>> => {
  const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-bench-lag-'));
  const path = join(dir, 'events.db');
  const store = await openSqliteEventStore(path);
  const views = await openSqliteViewStore(path);
  const track = { current: new Lags() };
  const models = new ReadModels({ defaultBackend: 'ec2' });
  const apply = models.apply.bind(models);
  models.apply = (envelope) => {
    const outcome = apply(envelope);
    if (outcome.kind === 'apply') track.current.applyAt(envelope.streamId, envelope.version, sharedClockMs());

    return outcome;
  };
  const pipeline = createPipeline(store, models, droppingBus);
  const consumer = createFeedConsumer({
    feed: store,
    checkpoints: store,
    name: 'bench',
    idleWaitMs: 500,
    handle: async (recorded) => {
      await pipeline.handle(recorded);
      await views.put(models.takeChanges());
    },
  });
  consumer.start();
  try {
    const { lag, offered } = await measure(store, SQLITE_RATE, track, 'sqlite');

    return [
      { name: STREAM_LAG_P50_SQLITE, value: round(lag.p50, 3), unit: 'ms' },
      { name: STREAM_LAG_P99_SQLITE, value: round(lag.p99, 3), unit: 'ms' },
      { name: 'stream_lag.max.sqlite', value: round(lag.max), unit: 'ms' },
      { name: 'stream_lag.offered_rate.sqlite', value: round(offered, 0), unit: 'appends/s' },
    ];
  } finally {
    await consumer.stop();
    await views.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

const throughStream = async (
  rig: DynamoDbRig,
  mode: ConsumerOptions['mode'],
  rate: number,
): Promise<{ lag: ReturnType<Lags['summary']>; delivery?: LatencySummary; offered: number }> => {
  const track = { current: new Lags() };
  const consumer = await rig.startConsumer({
    mode,
    idleMs: POLL_IDLE_MS,
    onApplied: (streamId, version, at) => track.current.applyAt(streamId, version, at),
    onDelivered: (streamId, version, at) => track.current.deliverAt(streamId, version, at),
  });
  try {
    return await measure(rig.store, rate, track, `dynamodb_local ${mode}`);
  } finally {
    await consumer.stop();
  }
};

const dynamodb = async (): Promise<ReadonlyArray<Metric>> => {
  const rig = await startDynamoDbRig(log);
  try {
    const views = await throughStream(rig, 'view-backed', DYNAMODB_RATE);
    const models = await throughStream(rig, 'read-models', DYNAMODB_READ_MODELS_RATE);

    return [
      { name: STREAM_LAG_P50_DYNAMODB_LOCAL, value: round(views.lag.p50), unit: 'ms' },
      { name: STREAM_LAG_P99_DYNAMODB_LOCAL, value: round(views.lag.p99), unit: 'ms' },
      { name: 'stream_lag.max.dynamodb_local', value: round(views.lag.max), unit: 'ms' },
      { name: 'stream_lag.offered_rate.dynamodb_local', value: round(views.offered, 1), unit: 'appends/s' },
      { name: 'stream_lag.p50.dynamodb_local.read_models', value: round(models.lag.p50), unit: 'ms' },
      { name: 'stream_lag.p99.dynamodb_local.read_models', value: round(models.lag.p99), unit: 'ms' },
      {
        name: 'stream_lag.offered_rate.dynamodb_local.read_models',
        value: round(models.offered, 1),
        unit: 'appends/s',
      },
    ];
  } finally {
    await rig.close();
  }
};

export const benchmarks: Benchmark[] = [
  { name: 'stream_lag.sqlite', run: sqlite },
  { name: 'stream_lag.dynamodb_local', run: dynamodb },
];
