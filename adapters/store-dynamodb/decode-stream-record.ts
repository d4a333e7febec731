import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as E from 'fp-ts/lib/Either.js';
import type { RecordedEvent } from '../../domain/store/index.js';
import { decodeEventItem } from './event-item.js';

/** A record that will never decode: quarantine its stream and keep `raw` in the dead-letter store (DESIGN section 2). */
export interface PermanentFailure {
  readonly kind: 'PermanentFailure';
  readonly reason: string;
  readonly raw: unknown;
}

/**
 * A record that carries no event: a REMOVE (TTL expiry after archiving). Acknowledge it and move on; it must not
 * quarantine anything.
 */
export interface NotAnEvent {
  readonly kind: 'NotAnEvent';
  readonly reason: string;
  readonly raw: unknown;
}

export type StreamRecordDecodeError = PermanentFailure | NotAnEvent;

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

const permanent = (reason: string, raw: unknown): E.Either<StreamRecordDecodeError, never> =>
  E.left({ kind: 'PermanentFailure', reason, raw });

/**
 * A DynamoDB Streams record (NEW_IMAGE view; the Lambda event shape and GetRecords' shape are the same) → the event it
 * carries. Never throws. INSERT and MODIFY decode their new image (a MODIFY of an immutable event is at worst a
 * duplicate, which consumers ignore); REMOVE is `NotAnEvent`.
 */
export const decodeStreamRecord = (raw: unknown): E.Either<StreamRecordDecodeError, RecordedEvent> => {
  if (!isRecord(raw)) return permanent('record is not an object', raw);
  if (raw['eventName'] === 'REMOVE') return E.left({ kind: 'NotAnEvent', reason: 'REMOVE record', raw });
  const ddb = raw['dynamodb'];
  if (!isRecord(ddb)) return permanent('record has no dynamodb field', raw);
  const image = ddb['NewImage'];
  if (!isRecord(image)) return permanent('record has no NewImage (is the stream view NEW_IMAGE?)', raw);
  let item: Record<string, unknown>;
  try {
    item = unmarshall(image as Record<string, AttributeValue>);
  } catch (e) {
    return permanent(`NewImage does not unmarshall: ${e instanceof Error ? e.message : String(e)}`, raw);
  }

  return E.mapLeft((reason: string): StreamRecordDecodeError => ({ kind: 'PermanentFailure', reason, raw }))(
    decodeEventItem(item),
  );
};
