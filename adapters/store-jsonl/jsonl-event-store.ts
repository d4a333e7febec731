import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import * as E from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type {
  Appended,
  EventMetadata,
  EventStore,
  NewEvent,
  ReadOptions,
  RecordedEvent,
  VersionConflict,
} from '../../domain/store/event-store.js';

/**
 * A read-only event store over an exported JSONL file (`file:<path>.jsonl`): one `{streamId, version, type, data,
 * metadata}` object per line, the format retention and `events export` write. Every read streams the file, so memory
 * stays flat whatever its size; `append` refuses.
 */

/** A line of the file with its 1-based line number. */
export interface JsonlLine {
  readonly line: number;
  readonly event: RecordedEvent;
}

export class JsonlLineError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${String(line)}: ${reason}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const OPTIONAL_METADATA = ['causationId', 'correlationId', 'deliveryId', 'commandId'] as const;

/** Checks the shape of one line (not the event's data: that is `decodeRecorded`'s job). */
export const parseJsonlLine = (text: string, line: number): Either<JsonlLineError, RecordedEvent> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return E.left(new JsonlLineError(line, `not JSON (${error instanceof Error ? error.message : String(error)})`));
  }
  const fail = (reason: string) => E.left(new JsonlLineError(line, reason));
  if (!isObject(value)) return fail('not a JSON object');
  const { streamId, version, type, data, metadata } = value;
  if (typeof streamId !== 'string' || streamId === '') return fail('streamId is missing or not a string');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    return fail(`version ${JSON.stringify(version)} is not a positive integer`);
  if (typeof type !== 'string' || type === '') return fail('type is missing or not a string');
  if (!('data' in value)) return fail('data is missing');
  if (!isObject(metadata)) return fail('metadata is missing or not an object');
  if (typeof metadata.at !== 'string' || Number.isNaN(Date.parse(metadata.at)))
    return fail(`metadata.at ${JSON.stringify(metadata.at)} is not an ISO 8601 time`);
  for (const key of OPTIONAL_METADATA)
    if (key in metadata && typeof metadata[key] !== 'string') return fail(`metadata.${key} is not a string`);
  return E.right({ streamId, version, type, data, metadata: metadata as unknown as EventMetadata });
};

/** Every non-blank line of a file, parsed, in file order; throws `JsonlLineError` at the first malformed one. */
export async function* readJsonlLines(path: string): AsyncGenerator<JsonlLine> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line += 1;
      if (text.trim() === '') continue;
      const parsed = parseJsonlLine(text, line);
      if (E.isLeft(parsed)) throw parsed.left;
      yield { line, event: parsed.right };
    }
  } finally {
    lines.close();
    input.destroy();
  }
}

export interface JsonlEventStore extends EventStore {
  readonly path: string;
  /** Every event in file order. */
  readAll(): AsyncIterable<RecordedEvent>;
}

export class JsonlReadOnlyError extends Error {}

export const openJsonlEventStore = async (path: string): Promise<JsonlEventStore> => {
  await access(path, constants.R_OK);
  async function* readAll(): AsyncGenerator<RecordedEvent> {
    for await (const { event } of readJsonlLines(path)) yield event;
  }
  return {
    path,
    readAll,
    append: (
      _streamId: string,
      _events: ReadonlyArray<NewEvent>,
      _expectedVersion: number,
    ): Promise<Either<VersionConflict, Appended>> =>
      Promise.reject(
        new JsonlReadOnlyError(`file:${path} is a read-only JSONL export; import it into a store to append`),
      ),
    read: async (streamId: string, options: ReadOptions = {}): Promise<ReadonlyArray<RecordedEvent>> => {
      const from = options.fromVersion ?? 1;
      const found: RecordedEvent[] = [];
      for await (const event of readAll()) if (event.streamId === streamId && event.version >= from) found.push(event);
      return found.sort((a, b) => a.version - b.version);
    },
    listStreams: async function* (category: string): AsyncGenerator<string> {
      const prefix = `${category}#`;
      for await (const event of readAll())
        if (event.version === 1 && event.streamId.startsWith(prefix)) yield event.streamId;
    },
  };
};
