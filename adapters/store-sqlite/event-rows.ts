import type { EventMetadata, RecordedEvent } from '../../domain/store/index.js';

/** One row of the `events` table as better-sqlite3 returns it. */
export interface EventRow {
  readonly position: number;
  readonly stream_id: string;
  readonly version: number;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

export const EVENT_COLUMNS = 'position, stream_id, version, type, data, metadata';

export const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  streamId: row.stream_id,
  version: row.version,
  position: row.position,
  type: row.type,
  data: JSON.parse(row.data) as unknown,
  metadata: JSON.parse(row.metadata) as EventMetadata,
});

/** JSON text for a column; `undefined` (which JSON cannot carry) is stored as null. */
export const toJsonText = (value: unknown): string => {
  const text: string | undefined = JSON.stringify(value);
  return text ?? 'null';
};
