import { EVENTS_TABLE_PK, EVENTS_TABLE_SK } from '../../adapters/store-dynamodb/index.js';
import type { IdentifyStreamRecord } from '../../adapters/stream-dynamodb/index.js';

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

const keysOf = (raw: unknown): Record<string, unknown> | null => {
  const body = isRecord(raw) ? raw['dynamodb'] : undefined;
  const keys = isRecord(body) ? body['Keys'] : undefined;

  return isRecord(keys) ? keys : null;
};

const attribute = (keys: Record<string, unknown>, name: string, type: 'S' | 'N'): unknown => {
  const value = keys[name];

  return isRecord(value) ? value[type] : undefined;
};

/**
 * The event stream and version of a DynamoDB Streams record, from its `Keys` (present in every view type, and intact
 * when the image is not): what a dead letter is filed under, and what holds back the later records of a stream.
 */
export const identifyStreamRecord: IdentifyStreamRecord = (raw) => {
  const keys = keysOf(raw);
  if (keys === null) return null;
  const streamId = attribute(keys, EVENTS_TABLE_PK, 'S');
  const n = Number(attribute(keys, EVENTS_TABLE_SK, 'N') ?? NaN);
  if (typeof streamId !== 'string' || streamId === '') return null;

  return { streamId, version: Number.isSafeInteger(n) && n >= 1 ? n : null };
};
