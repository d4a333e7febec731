import { createHash } from 'node:crypto';

/**
 * The dead-letter port (DESIGN section 2): where a stream consumer keeps a record it can never process (it does not
 * decode), with the raw record, so the record never blocks the others and an operator can see and fix it. Three
 * adapters implement it (memory, SQLite, DynamoDB) and pass one shared contract suite.
 */
export interface DeadLetterEntry {
  /** The event stream the record belongs to, when the record's keys still say so; else null. */
  readonly streamId: string | null;
  readonly version: number | null;
  readonly reason: string;
  /** The record as received (JSON-serialisable: adapters keep what `JSON.stringify` keeps). */
  readonly raw: unknown;
  /** When it was dead-lettered (ISO 8601), chosen by the caller. */
  readonly at: string;
}

export interface DeadLetterStore {
  /**
   * Stores the entry durably once: putting an entry with the same `deadLetterKey` again (a redelivered poison record)
   * is a no-op that resolves. Throws when the store is unreachable (transient: the caller retries the record).
   */
  put(entry: DeadLetterEntry): Promise<void>;
  /** Every stored entry, each once; order unspecified (memory and SQLite give insertion order). */
  list(): AsyncIterable<DeadLetterEntry>;
}

/** JSON with object keys sorted at every depth, so equal values give equal text whatever their key order. */
const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const json = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return canonicalJson(json.call(value));
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && typeof v !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }

  return JSON.stringify(value) ?? 'null';
};

/**
 * The identity under which an entry is stored once: `<streamId>#<version>` when both are known (one event has one
 * dead letter, whichever delivery brought it), else a SHA-256 of the raw record's canonical JSON (the same record
 * redelivered hashes alike). `reason` and `at` are not part of it: a redelivery may be dead-lettered later, or by a
 * newer version with a better message; the first entry stays.
 */
export const deadLetterKey = (entry: Pick<DeadLetterEntry, 'streamId' | 'version' | 'raw'>): string =>
  entry.streamId !== null && entry.version !== null
    ? `${entry.streamId}#${String(entry.version)}`
    : `raw#${createHash('sha256').update(canonicalJson(entry.raw)).digest('hex')}`;
