import * as E from 'fp-ts/lib/Either.js';
import type { DeadLetterEntry, DeadLetterStore, RecordedEvent } from '../../domain/store/index.js';

/**
 * One DynamoDB Streams record through the consumer, the same for the Lambda handler and the poller (pagopa's
 * Transient | Permanent split, STYLE item 15): a record that carries no event is acknowledged; one that will never
 * decode is PERMANENT and goes to the dead-letter store with the raw record, then processing moves on; `handle`
 * throwing (or the dead-letter store being unreachable) is TRANSIENT and propagates, so the caller retries the record
 * and holds back the records after it.
 */

/** What a stream-record decoder may answer instead of an event (store-dynamodb's `decodeStreamRecord` fits). */
export interface StreamRecordDecodeFailure {
  readonly kind: 'PermanentFailure' | 'NotAnEvent';
  readonly reason: string;
  readonly raw: unknown;
}

export type DecodeStreamRecord = (raw: unknown) => E.Either<StreamRecordDecodeFailure, RecordedEvent>;

/** The event stream (and version) a record belongs to, read from its keys, when the record is too broken to decode. */
export type IdentifyStreamRecord = (
  raw: unknown,
) => { readonly streamId: string; readonly version: number | null } | null;

export interface RecordProcessorDeps {
  readonly decode: DecodeStreamRecord;
  readonly handle: (recorded: RecordedEvent) => Promise<unknown>;
  readonly deadLetters: DeadLetterStore;
  /** Epoch milliseconds: stamps dead letters. */
  readonly now: () => number;
  readonly identify?: IdentifyStreamRecord;
  /** Told after an entry is stored: log it, count it, show the stream as quarantined. */
  readonly onDeadLetter?: (entry: DeadLetterEntry) => void;
}

export type RecordOutcome = 'handled' | 'ignored' | 'dead-lettered';

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** REMOVE (TTL expiry after archiving) and a MODIFY without a new image carry no event: acknowledge them. */
export const isIgnorableRecord = (raw: unknown): boolean => {
  if (!isRecord(raw)) return false;
  const name = raw['eventName'];
  const image = isRecord(raw['dynamodb']) ? raw['dynamodb']['NewImage'] : undefined;

  return name === 'REMOVE' || (name === 'MODIFY' && image === undefined);
};

const deadLetterEntry = (
  deps: Pick<RecordProcessorDeps, 'identify' | 'now'>,
  raw: unknown,
  reason: string,
): DeadLetterEntry => {
  const id = deps.identify?.(raw) ?? null;

  return {
    streamId: id === null ? null : id.streamId,
    version: id === null ? null : id.version,
    reason,
    raw,
    at: new Date(deps.now()).toISOString(),
  };
};

/**
 * A page of records through the consumer together, for a `handleBatch` that folds them at once (the view-backed
 * consumer reads and writes each view once per page): records without an event are acknowledged, undecodable ones are
 * dead-lettered (once per record, however often the page is retried), and the events of the rest go to `handleBatch`
 * in page order. `handleBatch` throwing is TRANSIENT and propagates: the caller retries the whole page, which the
 * consumers' version guards make safe.
 */
export const processStreamPage = (
  deps: Omit<RecordProcessorDeps, 'handle'> & {
    readonly handleBatch: (events: ReadonlyArray<RecordedEvent>) => Promise<unknown>;
  },
): ((raws: ReadonlyArray<unknown>) => Promise<ReadonlyArray<RecordOutcome>>) => {
  // A retried page hands over the same record objects: their dead letters are stored already.
  const stored = new WeakSet<object>();

  return async (raws) => {
    const events: RecordedEvent[] = [];
    const outcomes: RecordOutcome[] = [];
    for (const raw of raws) {
      if (isIgnorableRecord(raw)) {
        outcomes.push('ignored');
        continue;
      }
      const decoded = deps.decode(raw);
      if (E.isRight(decoded)) {
        events.push(decoded.right);
        outcomes.push('handled');
        continue;
      }
      if (decoded.left.kind === 'NotAnEvent') {
        outcomes.push('ignored');
        continue;
      }
      if (!isRecord(raw) || !stored.has(raw)) {
        const entry = deadLetterEntry(deps, raw, decoded.left.reason);
        await deps.deadLetters.put(entry);
        if (isRecord(raw)) stored.add(raw);
        deps.onDeadLetter?.(entry);
      }
      outcomes.push('dead-lettered');
    }
    if (events.length > 0) await deps.handleBatch(events);

    return outcomes;
  };
};

export const processStreamRecord =
  (deps: RecordProcessorDeps) =>
  async (raw: unknown): Promise<RecordOutcome> => {
    if (isIgnorableRecord(raw)) return 'ignored';
    const decoded = deps.decode(raw);
    if (E.isRight(decoded)) {
      await deps.handle(decoded.right);

      return 'handled';
    }
    if (decoded.left.kind === 'NotAnEvent') return 'ignored';
    const entry = deadLetterEntry(deps, raw, decoded.left.reason);
    await deps.deadLetters.put(entry);
    deps.onDeadLetter?.(entry);

    return 'dead-lettered';
  };
