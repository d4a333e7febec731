export { createDynamoDbEventStore } from './dynamodb-event-store.js';
export type { DynamoDbEventStoreOptions } from './dynamodb-event-store.js';
export { decodeStreamRecord } from './decode-stream-record.js';
export type { NotAnEvent, PermanentFailure, StreamRecordDecodeError } from './decode-stream-record.js';
export { decodeEventItem, toEventItem } from './event-item.js';
export {
  EVENTS_TABLE_PK,
  EVENTS_TABLE_SK,
  EVENT_ATTRIBUTES,
  STREAMS_BY_CATEGORY_INDEX,
  STREAMS_BY_CATEGORY_PK,
  STREAMS_BY_CATEGORY_SK,
  categoryOf,
  createEventsTableInput,
} from './table-schema.js';
