import * as E from 'fp-ts/lib/Either.js';
import { decodeStreamRecord } from '../../adapters/store-dynamodb/index.js';
import { processStreamRecord } from '../../adapters/stream-dynamodb/index.js';
import type { DecodeStreamRecord, StreamLogger } from '../../adapters/stream-dynamodb/index.js';
import type { DeadLetterEntry, DeadLetterStore, RecordedEvent } from '../../domain/store/index.js';
import { identifyStreamRecord } from './identify-stream-record.js';
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBStreamEvent } from './lambda-types.js';

export interface StreamHandlerDeps {
  /** In production the view-backed consumer's `handle`. Throwing = transient: the record is retried. */
  readonly handle: (recorded: RecordedEvent) => Promise<unknown>;
  readonly deadLetters: DeadLetterStore;
  /** Epoch milliseconds (stamps dead letters). */
  readonly clock: { now(): number };
  readonly onDeadLetter?: (entry: DeadLetterEntry) => void;
  readonly logger?: StreamLogger;
  /** Defaults to store-dynamodb's `decodeStreamRecord`. */
  readonly decode?: DecodeStreamRecord;
}

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * The Lambda handler on the events table's stream, with partial batch responses (`ReportBatchItemFailures`).
 *
 * Records are processed one at a time in batch order. A record that carries no event is acknowledged; one that will
 * never decode is dead-lettered and the batch goes on; a record whose handling throws fails, and so does every LATER
 * record of the same event stream in the batch (they are not even tried: a stream's events are applied in order),
 * while other streams go on. The answer lists exactly the failed records. Lambda then retries from the earliest
 * failed sequence number, redelivering the records after it too: consumers are idempotent (DESIGN section 2).
 */
export const createStreamHandler = (
  deps: StreamHandlerDeps,
): ((event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>) => {
  const decode = deps.decode ?? decodeStreamRecord;
  const process = processStreamRecord({
    decode,
    handle: deps.handle,
    deadLetters: deps.deadLetters,
    now: () => deps.clock.now(),
    identify: identifyStreamRecord,
    onDeadLetter: deps.onDeadLetter,
  });
  const streamOf = (raw: unknown): string | null => {
    const id = identifyStreamRecord(raw);
    if (id !== null) return id.streamId;
    const decoded = decode(raw);

    return E.isRight(decoded) ? decoded.right.streamId : null;
  };

  return async (event) => {
    const blocked = new Set<string>();
    const batchItemFailures: DynamoDBBatchItemFailure[] = [];
    for (const record of event.Records) {
      const stream = streamOf(record);
      // An empty identifier makes Lambda fail the whole batch, which is the safe answer for a record without one.
      const itemIdentifier = record.dynamodb?.SequenceNumber ?? '';
      if (stream !== null && blocked.has(stream)) {
        batchItemFailures.push({ itemIdentifier });
        continue;
      }
      try {
        await process(record);
      } catch (e) {
        deps.logger?.warn(
          { stream, sequenceNumber: itemIdentifier, err: errorMessage(e) },
          'record failed (transient)',
        );
        if (stream !== null) blocked.add(stream);
        batchItemFailures.push({ itemIdentifier });
      }
    }

    return { batchItemFailures };
  };
};
