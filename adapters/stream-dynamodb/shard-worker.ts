import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type {
  DynamoDBStreamsClient,
  GetRecordsCommandOutput,
  _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { LeaseLostError } from './lease-store.js';
import type { HeldLease, LeaseStore } from './lease-store.js';
import type { RecordOutcome } from './record-processor.js';
import { backoffMs, errorMessage, errorName, sleep } from './sleep.js';
import type { StreamLogger } from './sleep.js';

export interface ShardWorkerContext {
  readonly streams: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly leases: LeaseStore;
  /** Throws on a transient failure (the record is retried); resolves when the record may be checkpointed. */
  readonly process: (raw: StreamRecord) => Promise<RecordOutcome>;
  /**
   * When given, used instead of `process`: a whole page at once (a consumer that folds a page together). Throws on a
   * transient failure (the page is retried whole); resolves when every record of the page may be checkpointed.
   */
  readonly processPage?: (raws: ReadonlyArray<StreamRecord>) => Promise<unknown>;
  readonly now: () => number;
  readonly leaseMs: number;
  readonly idleMs: number;
  readonly batchSize: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly logger: StreamLogger;
}

export interface WorkerControl {
  /** True once the worker should hand its shard back: the poller stops, or it holds more than its share. */
  stopping(): boolean;
  /** Aborts when `stopping` turns true, to cut sleeps short. */
  readonly signal: AbortSignal;
}

/** How a worker ended: shard end processed; lease handed back (checkpoint saved); lease lost (stopped at once). */
export type WorkerEnd = 'finished' | 'released' | 'lost';

/** `null`: fetch an iterator from the checkpoint; `undefined`: the shard's end was reached and processed. */
type Iterator = string | null | undefined;

/**
 * Reads one shard from its checkpoint to its end (or until told to stop), in order, one record at a time, or one page
 * at a time with `processPage`.
 *
 * - A record is handled only while the lease is ours by this poller's clock: the lease is renewed once a third of it
 *   has passed, before the next record or page (and, while a page is being processed, every third of a lease), and a
 *   renewal that finds another owner or a newer lease counter stops the shard at once (nothing more is handled or
 *   written; a page in hand is not checkpointed).
 * - The checkpoint (last SequenceNumber processed) is saved after each batch, before retrying a failing record, and
 *   when the lease is handed back, all conditional on still holding the lease. With `processPage` it moves only over
 *   whole pages: a crash in a page re-delivers the page.
 * - A failing record (or page) is retried with backoff and never skipped; the records after it wait. On stop, the
 *   current batch is finished unless a record in it is failing, then the lease is released with the checkpoint.
 */
export const runShardWorker = async (
  ctx: ShardWorkerContext,
  lease: HeldLease,
  acquiredAt: number,
  control: WorkerControl,
): Promise<WorkerEnd> => {
  const { shardId } = lease;
  const log = { shardId, streamArn: ctx.streamArn };
  let checkpoint = lease.checkpoint;
  let saved = checkpoint;
  let renewedAt = acquiredAt;

  // One renewal at a time (a page's keep-alive may overlap the save after it), each saving what it was asked to.
  let saving: Promise<unknown> = Promise.resolve();
  const save = (): Promise<void> => {
    const run = saving.then(async () => {
      const at = ctx.now();
      const target = checkpoint;
      await ctx.leases.renew(lease, target === saved ? null : target);
      saved = target;
      renewedAt = at;
    });
    saving = run.catch(() => undefined);

    return run;
  };

  const ensureLease = async (): Promise<void> => {
    if (ctx.now() - renewedAt < ctx.leaseMs / 3) return;
    try {
      await save();
    } catch (e) {
      if (e instanceof LeaseLostError || ctx.now() >= renewedAt + ctx.leaseMs) throw new LeaseLostError(shardId);
      ctx.logger.warn({ ...log, err: errorMessage(e) }, 'lease renewal failed; retrying before the lease runs out');
    }
  };

  const newIterator = async (): Promise<string | undefined> => {
    const from =
      checkpoint === null
        ? ({ ShardIteratorType: 'TRIM_HORIZON' } as const)
        : ({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint } as const);
    try {
      const r = await ctx.streams.send(
        new GetShardIteratorCommand({ StreamArn: ctx.streamArn, ShardId: shardId, ...from }),
      );

      return r.ShardIterator ?? undefined;
    } catch (e) {
      if (errorName(e) !== 'TrimmedDataAccessException' || checkpoint === null) throw e;
      // The checkpoint is older than the stream's 24 hours: what was between is gone from the stream (the table still
      // has it; projections re-read a stream when they see a gap). Say so loudly and go on from the oldest record.
      ctx.logger.error({ ...log, checkpoint }, 'checkpoint trimmed from the stream; resuming at TRIM_HORIZON');
      const r = await ctx.streams.send(
        new GetShardIteratorCommand({ StreamArn: ctx.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );

      return r.ShardIterator ?? undefined;
    }
  };

  const processWithRetry = async (record: StreamRecord): Promise<'done' | 'stopped'> => {
    for (let attempt = 0; ; attempt++) {
      await ensureLease();
      try {
        await ctx.process(record);

        return 'done';
      } catch (e) {
        ctx.logger.warn(
          { ...log, sequenceNumber: record.dynamodb?.SequenceNumber, attempt, err: errorMessage(e) },
          'record failed (transient); retrying',
        );
      }
      if (attempt === 0 && checkpoint !== saved) await save().catch((e: unknown) => rethrowIfLost(e));
      if (control.stopping()) return 'stopped';
      await sleep(backoffMs(attempt, ctx.backoff.baseMs, ctx.backoff.maxMs), control.signal);
      if (control.stopping()) return 'stopped';
    }
  };

  /** Runs `work` with the lease renewed every third of it; a renewal finding it lost fails the work's outcome. */
  const keepingLease = async (work: () => Promise<unknown>): Promise<void> => {
    let lost: unknown;
    const timer = setInterval(() => {
      ensureLease().catch((e: unknown) => void (lost ??= e));
    }, ctx.leaseMs / 3);
    try {
      await work();
    } finally {
      clearInterval(timer);
    }
    if (lost !== undefined) throw lost;
  };

  const processPage = async (
    records: ReadonlyArray<StreamRecord>,
    page: (raws: ReadonlyArray<StreamRecord>) => Promise<unknown>,
  ): Promise<'done' | 'stopped'> => {
    if (records.length === 0) return 'done';
    const span = spanOf(records);
    for (let attempt = 0; ; attempt++) {
      await ensureLease();
      try {
        await keepingLease(() => page(records));
        break;
      } catch (e) {
        if (e instanceof LeaseLostError) throw e;
        const failure = { ...log, ...span, records: records.length, attempt, err: errorMessage(e) };
        ctx.logger.warn(failure, 'page failed (transient); retrying');
      }
      if (control.stopping()) return 'stopped';
      await sleep(backoffMs(attempt, ctx.backoff.baseMs, ctx.backoff.maxMs), control.signal);
      if (control.stopping()) return 'stopped';
    }
    checkpoint = span.to ?? checkpoint;

    return 'done';
  };

  const processBatch = async (records: ReadonlyArray<StreamRecord>): Promise<'done' | 'stopped'> => {
    if (ctx.processPage !== undefined) return processPage(records, ctx.processPage);
    for (const record of records) {
      if ((await processWithRetry(record)) === 'stopped') return 'stopped';
      checkpoint = record.dynamodb?.SequenceNumber ?? checkpoint;
    }

    return 'done';
  };

  let iterator: Iterator = null;

  /** One read of the shard and its records. */
  const readOnce = async (): Promise<'more' | 'stopped' | 'finished'> => {
    await ensureLease();
    if (iterator === null) iterator = await newIterator();
    if (iterator === undefined) {
      await ctx.leases.finish(lease, checkpoint);
      ctx.logger.info({ ...log, checkpoint }, 'shard finished');

      return 'finished';
    }
    const page: GetRecordsCommandOutput = await ctx.streams.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: ctx.batchSize }),
    );
    const records = page.Records ?? [];
    if ((await processBatch(records)) === 'stopped') return 'stopped';
    // Moved on before saving: a failed save must not read (and handle) the same page again.
    iterator = page.NextShardIterator ?? undefined;
    if (checkpoint !== saved) await save();
    if (records.length === 0 && iterator !== undefined) await sleep(ctx.idleMs, control.signal);

    return 'more';
  };

  const release = async (): Promise<WorkerEnd> => {
    try {
      await ctx.leases.release(lease, checkpoint);
    } catch (e) {
      if (e instanceof LeaseLostError) return 'lost';
      ctx.logger.warn({ ...log, err: errorMessage(e) }, 'lease release failed; it will expire');
    }

    return 'released';
  };

  for (let failures = 0; !control.stopping();) {
    try {
      const outcome = await readOnce();
      if (outcome === 'finished') return 'finished';
      if (outcome === 'stopped') break;
      failures = 0;
    } catch (e) {
      if (e instanceof LeaseLostError) {
        ctx.logger.warn(log, 'lease lost; shard stopped');

        return 'lost';
      }
      if (errorName(e) === 'ExpiredIteratorException') {
        iterator = null; // a fresh one from the checkpoint, at once
        continue;
      }
      // DynamoDB Local answers GetRecords on a shard that never held a record with TrimmedDataAccessException: the
      // iterator is useless, so the next try starts from a fresh one (after the backoff, so an empty shard costs little).
      if (errorName(e) === 'TrimmedDataAccessException') iterator = null;
      ctx.logger.warn({ ...log, failures, err: errorMessage(e) }, 'shard read failed; backing off');
      await sleep(backoffMs(failures++, ctx.backoff.baseMs, ctx.backoff.maxMs), control.signal);
    }
  }

  return release();
};

/** The first and last sequence numbers of a page. */
const spanOf = (records: ReadonlyArray<StreamRecord>): { readonly from?: string; readonly to?: string } => ({
  from: records[0]?.dynamodb?.SequenceNumber,
  to: records.at(-1)?.dynamodb?.SequenceNumber,
});

const rethrowIfLost = (e: unknown): void => {
  if (e instanceof LeaseLostError) throw e;
};
