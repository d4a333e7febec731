import * as E from 'fp-ts/lib/Either.js';
import type { EventMetadata, NewEvent, RecordedEvent } from '../../domain/store/index.js';
import { EVENT_ATTRIBUTES as A, EVENTS_TABLE_PK, EVENTS_TABLE_SK, categoryOf } from './table-schema.js';

/** The item stored for one event, before marshalling (lib-dynamodb marshals it, dropping undefined values). */
export const toEventItem = (streamId: string, version: number, event: NewEvent): Record<string, unknown> => ({
  [EVENTS_TABLE_PK]: streamId,
  [EVENTS_TABLE_SK]: version,
  [A.type]: event.type,
  [A.data]: event.data,
  [A.metadata]: event.metadata,
  [A.at]: event.metadata.at,
  ...(version === 1 ? { [A.category]: categoryOf(streamId) } : {}),
});

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

const OPTIONAL_METADATA = ['causationId', 'correlationId', 'deliveryId', 'commandId'] as const;

const decodeMetadata = (u: unknown): E.Either<string, EventMetadata> => {
  if (!isRecord(u)) return E.left('metadata is not a map');
  if (typeof u['at'] !== 'string') return E.left('metadata.at is not a string');
  const bad = OPTIONAL_METADATA.find((k) => u[k] !== undefined && typeof u[k] !== 'string');

  return bad === undefined ? E.right(u as unknown as EventMetadata) : E.left(`metadata.${bad} is not a string`);
};

/**
 * An unmarshalled item → the event it holds. The one decoder behind `read` and the stream-record decoder, so both give
 * the same `RecordedEvent` for the same item. No `position`: DynamoDB has no global order.
 */
export const decodeEventItem = (item: unknown): E.Either<string, RecordedEvent> => {
  if (!isRecord(item)) return E.left('item is not a map');
  const streamId = item[EVENTS_TABLE_PK];
  const version = item[EVENTS_TABLE_SK];
  const type = item[A.type];
  if (typeof streamId !== 'string' || streamId === '') return E.left(`${EVENTS_TABLE_PK} is not a non-empty string`);
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    return E.left(`${EVENTS_TABLE_SK} is not a positive integer`);
  }
  if (typeof type !== 'string' || type === '') return E.left(`${A.type} is not a non-empty string`);

  return E.map((metadata: EventMetadata): RecordedEvent => ({ streamId, version, type, data: item[A.data], metadata }))(
    decodeMetadata(item[A.metadata]),
  );
};
