/**
 * The SQLite event store on a temporary file (os.tmpdir(); set TMPDIR to measure another disk), WAL with
 * synchronous=FULL: every acknowledged append is fsynced, and group commit shares one fsync among the appends made
 * in the same tick. Nothing here weakens durability.
 *
 * - append.throughput.sqlite: single-event appends from CONCURRENCY callers, each looping on its own stream.
 * - append.batch_throughput.sqlite: the same with 10 events per append.
 * stream_lag.p50/p99.sqlite (append → the event applied to the views by the real consumer) are in stream-lag.bench.ts.
 * Extra: the single-caller throughput (no batching possible) and the mean batch size, to see what group commit buys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { openSqliteEventStore } from '../adapters/store-sqlite/index.js';
import type { SqliteEventStore } from '../adapters/store-sqlite/index.js';
import type { NewEvent } from '../domain/store/index.js';
import { APPEND_BATCH_THROUGHPUT_SQLITE, APPEND_THROUGHPUT_SQLITE } from './lib/metric-names.js';
import { perSecond } from './lib/stats.js';
import type { Benchmark, Metric } from './lib/types.js';

const CONCURRENCY = 64;
const RUN_MS = 3_000;
const SEQUENTIAL_RUN_MS = 2_000;

const event = (n: number): NewEvent => ({
  type: 'JobQueued',
  data: {
    githubJobId: 9_000_000 + n,
    repo: `acme/service-${String(n % 37)}`,
    labels: ['runs-fleet/cpu=4/arch=arm64/pool=default'],
    spec: { cpu: 4, arch: 'arm64', families: ['c7g', 'm7g'], pool: 'default', backend: 'ec2' },
  },
  metadata: { at: '2025-01-01T00:00:00.000Z', deliveryId: `d-${String(n)}`, correlationId: `c-${String(n)}` },
});

const withStore = async <T>(use: (store: SqliteEventStore) => Promise<T>): Promise<T> => {
  const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-bench-sqlite-'));
  const store = await openSqliteEventStore(join(dir, 'events.db'));
  try {
    return await use(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

let loads = 0;

/** `callers` loops, each appending `perAppend` events at a time to its own new stream until `ms` pass. events/s. */
const appendLoad = async (store: SqliteEventStore, callers: number, perAppend: number, ms: number): Promise<number> => {
  const load = ++loads;
  const started = performance.now();
  const deadline = started + ms;
  const caller = async (id: number): Promise<number> => {
    const streamId = `job#bench-${String(load)}-${String(id)}`;
    let version = 0;
    while (performance.now() < deadline) {
      const events = Array.from({ length: perAppend }, (_, i) => event(version + i));
      const result = await store.append(streamId, events, version);
      if (E.isLeft(result)) throw new Error(`unexpected conflict on ${streamId}`);
      version = result.right.version;
    }
    return version;
  };
  const written = await Promise.all(Array.from({ length: callers }, (_, id) => caller(id)));
  return perSecond(
    written.reduce((a, b) => a + b, 0),
    performance.now() - started,
  );
};

const throughput = async (): Promise<ReadonlyArray<Metric>> =>
  withStore(async (store) => {
    await appendLoad(store, CONCURRENCY, 1, 300); // warm-up: file growth, statement caches, JIT
    const before = store.groupCommitStats();
    const grouped = await appendLoad(store, CONCURRENCY, 1, RUN_MS);
    const after = store.groupCommitStats();
    const sequential = await appendLoad(store, 1, 1, SEQUENTIAL_RUN_MS);
    return [
      { name: APPEND_THROUGHPUT_SQLITE, value: Math.round(grouped), unit: 'events/s' },
      { name: 'append.throughput.sqlite.single_caller', value: Math.round(sequential), unit: 'events/s' },
      {
        name: 'append.group_commit.mean_batch.sqlite',
        value: (after.items - before.items) / (after.flushes - before.flushes),
        unit: 'appends/commit',
      },
    ];
  });

const batchThroughput = async (): Promise<ReadonlyArray<Metric>> =>
  withStore(async (store) => {
    await appendLoad(store, CONCURRENCY, 10, 300);
    const value = await appendLoad(store, CONCURRENCY, 10, RUN_MS);
    return [{ name: APPEND_BATCH_THROUGHPUT_SQLITE, value: Math.round(value), unit: 'events/s' }];
  });

export const benchmarks: Benchmark[] = [
  { name: 'store-sqlite.append', run: throughput },
  { name: 'store-sqlite.append_batch', run: batchThroughput },
];
