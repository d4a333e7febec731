import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamsClient, Shard } from '@aws-sdk/client-dynamodb-streams';
import type { DeadLetterEntry, DeadLetterStore, RecordedEvent } from '../../domain/store/index.js';
import { createLeaseStore } from './lease-store.js';
import type { HeldLease } from './lease-store.js';
import { processStreamPage, processStreamRecord } from './record-processor.js';
import type { DecodeStreamRecord, IdentifyStreamRecord, RecordProcessorDeps } from './record-processor.js';
import { planShards } from './shard-plan.js';
import type { ShardInfo } from './shard-plan.js';
import { runShardWorker } from './shard-worker.js';
import type { ShardWorkerContext, WorkerEnd } from './shard-worker.js';
import { errorMessage, silentLogger, sleep } from './sleep.js';
import type { StreamLogger } from './sleep.js';

export interface StreamPollerOptions {
  readonly streamsClient: DynamoDBStreamsClient;
  /** For the lease table. */
  readonly dynamoClient: DynamoDBClient;
  readonly streamArn: string;
  /** Name of the lease and checkpoint table (`createLeaseTableInput`). */
  readonly leaseTable: string;
  /** Unique per running process: two processes with one owner name would both think they hold its leases. */
  readonly owner: string;
  /**
   * How records reach the consumer, one of the two: one at a time (`handle`), or a page at a time (`handleBatch`: the
   * events of one GetRecords page in shard order, for a consumer that folds them together). Throwing is transient:
   * the record, or the whole page, is retried (with backoff) and the checkpoint stays before it.
   */
  readonly handle?: (recorded: RecordedEvent) => Promise<unknown>;
  readonly handleBatch?: (events: ReadonlyArray<RecordedEvent>) => Promise<unknown>;
  /** Stream record → event (store-dynamodb's `decodeStreamRecord`; adapters do not import each other). */
  readonly decode: DecodeStreamRecord;
  readonly deadLetters: DeadLetterStore;
  readonly identify?: IdentifyStreamRecord;
  readonly onDeadLetter?: (entry: DeadLetterEntry) => void;
  /**
   * Told after each shard lease this poller takes. A lease taken over from a process that died (or stalled past its
   * lease) comes without that process's decided, not yet carried out commands: their causes are behind the
   * checkpoint, so only re-deriving what is pending (`resume`) brings them back.
   */
  readonly onLeaseTaken?: (shardId: string) => void;
  /** Epoch milliseconds; lease expiry is judged on it. */
  readonly clock: { now(): number };
  /** Lease duration (default 30 s); renewed after a third of it. A record's `handle` must take less than that. */
  readonly leaseMs?: number;
  /** How often shards and leases are looked at, and the heartbeat written (default min(10 s, leaseMs / 3)). */
  readonly discoveryIntervalMs?: number;
  /** Pause after an empty read of an open shard (default 500 ms; DynamoDB Streams allows 5 reads/s per shard). */
  readonly idleMs?: number;
  /**
   * GetRecords `Limit` (default 100, at most 1000): also the most records a graceful stop may still process, and with
   * `handleBatch` the most records folded (and re-delivered after a crash) together.
   */
  readonly batchSize?: number;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly logger?: StreamLogger;
}

export interface StreamPoller {
  /** Takes its first leases and starts reading; rejects when the stream or the lease table cannot be reached. */
  start(): Promise<void>;
  /** Graceful: every shard finishes its current batch, saves its checkpoint and releases its lease. Idempotent. */
  stop(): Promise<void>;
  /** Shards this poller is reading now. */
  held(): ReadonlyArray<string>;
}

const toShardInfo = (s: Shard): ShardInfo | null => {
  if (s.ShardId === undefined) return null;

  return s.ParentShardId ? { shardId: s.ShardId, parentShardId: s.ParentShardId } : { shardId: s.ShardId };
};

/** With `handleBatch`, every page goes through `processPage` (`process` is then the same for a page of one). */
const handlingOf = (
  { handle, handleBatch }: Pick<StreamPollerOptions, 'handle' | 'handleBatch'>,
  deps: Omit<RecordProcessorDeps, 'handle'>,
): Pick<ShardWorkerContext, 'process' | 'processPage'> => {
  if (handle !== undefined && handleBatch === undefined) return { process: processStreamRecord({ ...deps, handle }) };
  if (handleBatch !== undefined && handle === undefined) {
    return {
      process: processStreamRecord({ ...deps, handle: (recorded) => handleBatch([recorded]) }),
      processPage: processStreamPage({ ...deps, handleBatch }),
    };
  }
  throw new Error('createStreamPoller: give exactly one of handle (a record at a time) and handleBatch (a page)');
};

interface Worker {
  stop(): void;
  readonly done: Promise<WorkerEnd>;
}

/**
 * The long-running DynamoDB Streams consumer of `runs-fleet serve` on AWS (the Lambda handler is the other one).
 * Several replicas share one stream through shard leases in the lease table; see `shard-plan.ts` for who takes what
 * and `shard-worker.ts` for how one shard is read. Delivery to `handle` (or `handleBatch`) is at least once, in order
 * within a shard.
 */
export const createStreamPoller = (options: StreamPollerOptions): StreamPoller => {
  const leaseMs = options.leaseMs ?? 30_000;
  const discoveryMs = options.discoveryIntervalMs ?? Math.min(10_000, leaseMs / 3);
  const logger = options.logger ?? silentLogger;
  const now = () => options.clock.now();
  const leases = createLeaseStore({
    client: options.dynamoClient,
    tableName: options.leaseTable,
    streamArn: options.streamArn,
    owner: options.owner,
    leaseMs,
    now,
  });
  const recordDeps = {
    decode: options.decode,
    deadLetters: options.deadLetters,
    now,
    identify: options.identify,
    onDeadLetter: options.onDeadLetter,
  };

  const context: ShardWorkerContext = {
    streams: options.streamsClient,
    streamArn: options.streamArn,
    leases,
    ...handlingOf(options, recordDeps),
    now,
    leaseMs,
    idleMs: options.idleMs ?? 500,
    batchSize: Math.min(1000, options.batchSize ?? 100),
    backoff: options.backoff ?? { baseMs: 100, maxMs: 10_000 },
    logger,
  };
  const workers = new Map<string, Worker>();
  let running = false;
  let loop: Promise<void> | undefined;
  let nap = new AbortController();

  const describeShards = async (): Promise<ShardInfo[]> => {
    const shards: ShardInfo[] = [];
    const seen = new Set<string>();
    let start: string | undefined;
    do {
      const r = await options.streamsClient.send(
        new DescribeStreamCommand({ StreamArn: options.streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of (r.StreamDescription?.Shards ?? []).map(toShardInfo)) {
        if (shard === null || seen.has(shard.shardId)) continue;
        seen.add(shard.shardId);
        shards.push(shard);
      }
      // Guard against an endpoint that hands the same page back forever.
      const next = r.StreamDescription?.LastEvaluatedShardId;
      start = next === start ? undefined : next;
    } while (start !== undefined);

    return shards;
  };

  const startWorker = (lease: HeldLease, acquiredAt: number): void => {
    const abort = new AbortController();
    let released = false;
    const done = runShardWorker(context, lease, acquiredAt, {
      stopping: () => released || !running,
      signal: abort.signal,
    })
      .catch((e: unknown): WorkerEnd => {
        logger.error({ shardId: lease.shardId, err: errorMessage(e) }, 'shard worker failed');

        return 'lost';
      })
      .then((end) => {
        workers.delete(lease.shardId);
        if (end === 'finished') nap.abort(); // its children may start now

        return end;
      });
    workers.set(lease.shardId, {
      stop: () => {
        released = true;
        abort.abort();
      },
      done,
    });
    logger.info({ shardId: lease.shardId, checkpoint: lease.checkpoint }, 'shard lease taken');
    options.onLeaseTaken?.(lease.shardId);
  };

  const tick = async (): Promise<void> => {
    await leases.heartbeat();
    const shards = await describeShards();
    const snapshot = await leases.snapshot();
    const plan = planShards({
      shards,
      leases: snapshot.leases,
      liveOwners: snapshot.liveOwners,
      owner: options.owner,
      held: new Set(workers.keys()),
      now: now(),
    });
    for (const shardId of plan.release) workers.get(shardId)?.stop();
    for (const shardId of plan.acquire) {
      if (!running) return;
      const at = now();
      const lease = await leases.acquire(shardId);
      if (lease !== null) startWorker(lease, at);
    }
  };

  const runLoop = async (): Promise<void> => {
    while (running) {
      nap = new AbortController();
      await sleep(discoveryMs, nap.signal);
      if (!running) return;
      try {
        await tick();
      } catch (e) {
        logger.warn({ err: errorMessage(e) }, 'shard discovery failed; retrying');
      }
    }
  };

  return {
    start: async () => {
      if (running) return;
      running = true;
      try {
        await tick();
      } catch (e) {
        running = false;
        await Promise.all([...workers.values()].map((w) => w.done));
        throw e;
      }
      loop = runLoop();
    },
    stop: async () => {
      if (!running && loop === undefined) return;
      running = false;
      nap.abort();
      await loop;
      loop = undefined;
      for (const worker of workers.values()) worker.stop();
      await Promise.all([...workers.values()].map((w) => w.done));
      await leases
        .removeHeartbeat()
        .catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'heartbeat removal failed'));
    },
    held: () => [...workers.keys()],
  };
};
