import { access, constants, open } from 'node:fs/promises';
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
import { isIsoTime } from './iso-time.js';

/**
 * A read-only event store over an exported JSONL file (`file:<path>.jsonl`): one `{streamId, version, type, data,
 * metadata}` object per line, the format retention and `events export` write. Every read streams the file a chunk at a
 * time (bounded buffers), so memory stays flat whatever its size; `append` refuses.
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

/** Checks the shape of one line (not the event's data: that is `decodeRecorded`'s job); throws `JsonlLineError`. */
const checkLine = (text: string, line: number): RecordedEvent => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JsonlLineError(line, `not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  // No closure for the failures: this runs once per line of a log.
  if (!isObject(value)) throw new JsonlLineError(line, 'not a JSON object');
  const { streamId, version, type, data, metadata } = value;
  if (typeof streamId !== 'string' || streamId === '')
    throw new JsonlLineError(line, 'streamId is missing or not a string');
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new JsonlLineError(line, `version ${JSON.stringify(version)} is not a positive integer`);
  if (typeof type !== 'string' || type === '') throw new JsonlLineError(line, 'type is missing or not a string');
  if (!('data' in value)) throw new JsonlLineError(line, 'data is missing');
  if (!isObject(metadata)) throw new JsonlLineError(line, 'metadata is missing or not an object');
  if (typeof metadata.at !== 'string' || !isIsoTime(metadata.at))
    throw new JsonlLineError(line, `metadata.at ${JSON.stringify(metadata.at)} is not an ISO 8601 time`);
  for (const key of OPTIONAL_METADATA)
    if (key in metadata && typeof metadata[key] !== 'string')
      throw new JsonlLineError(line, `metadata.${key} is not a string`);
  return { streamId, version, type, data, metadata: metadata as unknown as EventMetadata };
};

/** Checks the shape of one line (not the event's data: that is `decodeRecorded`'s job). */
export const parseJsonlLine = (text: string, line: number): Either<JsonlLineError, RecordedEvent> => {
  try {
    return E.right(checkLine(text, line));
  } catch (error) {
    if (error instanceof JsonlLineError) return E.left(error);
    throw error;
  }
};

/** Raw lines of a file, one chunk at a time: `lines[i]` is line `first + i` (1-based); blank lines are kept. */
export interface LineBatch {
  readonly first: number;
  readonly lines: ReadonlyArray<string>;
}

const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

const withoutCr = (lines: string[]): string[] => {
  for (let i = 0; i < lines.length; i += 1) {
    const text = lines[i] as string;
    if (text.charCodeAt(text.length - 1) === 13) lines[i] = text.slice(0, -1);
  }
  return lines;
};

/** The lines of `buffer` before its newline at `cut`, the first one starting with the bytes carried over. */
const linesUpTo = (buffer: Buffer, cut: number, carry: Buffer): string[] => {
  if (carry.length === 0) return withoutCr(buffer.toString('utf8', 0, cut).split('\n'));
  const end = buffer.indexOf(NEWLINE);
  const head = Buffer.concat([carry, buffer.subarray(0, end)]).toString('utf8');
  return withoutCr(end < cut ? [head, ...buffer.toString('utf8', end + 1, cut).split('\n')] : [head]);
};

/**
 * Splits a file into lines a chunk (1 MiB) at a time, instead of readline's event per line. The next chunk is read
 * into a second buffer while the lines of this one are used, so reading overlaps the work. A chunk is cut at its last
 * newline byte (never inside a UTF-8 sequence); the bytes after it are carried into the first line of the next one.
 * `\n` and `\r\n` end a line.
 */
export async function* readLineBatches(path: string, chunkBytes = CHUNK_BYTES): AsyncGenerator<LineBatch> {
  const handle = await open(path, 'r');
  let next = Buffer.allocUnsafe(chunkBytes);
  let spare = Buffer.allocUnsafe(chunkBytes);
  let pending = handle.read(next, 0, chunkBytes, null);
  let carry = Buffer.alloc(0);
  let first = 1;
  try {
    for (;;) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) {
        if (carry.length > 0) yield { first, lines: withoutCr([carry.toString('utf8')]) };
        return;
      }
      [next, spare] = [spare, next];
      pending = handle.read(next, 0, chunkBytes, null);
      const cut = buffer.lastIndexOf(NEWLINE, bytesRead - 1);
      if (cut < 0) {
        carry = Buffer.concat([carry, buffer.subarray(0, bytesRead)]);
        continue;
      }
      const lines = linesUpTo(buffer, cut, carry);
      // A copy: the buffer is read into again while these lines are used.
      carry = Buffer.from(buffer.subarray(cut + 1, bytesRead));
      yield { first, lines };
      first += lines.length;
    }
  } finally {
    // A reader that stops early leaves a read in flight: let it land before the file is closed.
    await pending.catch(() => undefined);
    await handle.close();
  }
}

const isBlank = (text: string): boolean => text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '');

/**
 * The non-blank lines of a batch, parsed one at a time as they are asked for, so that an event is garbage as soon as
 * its reader is done with it (a chunk parsed up front would outlive the young generation); throws `JsonlLineError` at
 * a malformed line, after the lines before it.
 */
function* parseBatch({ first, lines }: LineBatch): Generator<JsonlLine> {
  for (let i = 0; i < lines.length; i += 1) {
    const text = lines[i] as string;
    if (!isBlank(text)) yield { line: first + i, event: checkLine(text, first + i) };
  }
}

function* eventsOf({ first, lines }: LineBatch, failure: (error: unknown) => unknown): Generator<RecordedEvent> {
  try {
    for (let i = 0; i < lines.length; i += 1) {
      const text = lines[i] as string;
      if (!isBlank(text)) yield checkLine(text, first + i);
    }
  } catch (error) {
    throw failure(error);
  }
}

/** Every non-blank line of a file, parsed, in file order; throws `JsonlLineError` at the first malformed one. */
export async function* readJsonlLines(path: string): AsyncGenerator<JsonlLine> {
  for await (const batch of readLineBatches(path)) yield* parseBatch(batch);
}

export interface JsonlEventStore extends EventStore {
  readonly path: string;
  /** Every event in file order. */
  readAll(): AsyncIterable<RecordedEvent>;
  /**
   * Every event in file order, a chunk of the file at a time (each event parsed when it is reached); `failure` turns
   * a malformed line's `JsonlLineError` into what the caller throws (thrown while a batch is iterated, not read).
   */
  readBatches(failure?: (error: unknown) => unknown): AsyncIterable<Iterable<RecordedEvent>>;
}

export class JsonlReadOnlyError extends Error {}

export const openJsonlEventStore = async (path: string): Promise<JsonlEventStore> => {
  await access(path, constants.R_OK);
  async function* readBatches(
    failure: (error: unknown) => unknown = (error) => error,
  ): AsyncGenerator<Iterable<RecordedEvent>> {
    for await (const batch of readLineBatches(path)) yield eventsOf(batch, failure);
  }
  async function* readAll(): AsyncGenerator<RecordedEvent> {
    for await (const batch of readBatches()) yield* batch;
  }
  return {
    path,
    readAll,
    readBatches,
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
