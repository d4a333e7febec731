import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import * as E from 'fp-ts/lib/Either.js';
import { readJsonlLines, JsonlLineError } from '../../adapters/store-jsonl/index.js';
import { MAX_EVENTS_PER_APPEND, type RecordedEvent } from '../../domain/store/event-store.js';
import { toJsonlLine } from '../app/retention.js';
import { namedEvents, type ReplaySource } from './source.js';

/** `events export` and `events import`: streaming, one `{streamId, version, type, data, metadata}` per line. */

export interface ExportOptions {
  readonly streamId?: string;
  /** ISO 8601: only events at or after it. */
  readonly since?: string;
  readonly onProgress?: (events: number) => void;
  readonly progressEvery?: number;
}

const writeLine = async (out: Writable, text: string): Promise<void> => {
  if (!out.write(text)) await once(out, 'drain');
};

/** Writes the events (in the store's order) to `out`; returns how many. Memory stays flat: one event at a time. */
export const exportEvents = async (
  source: ReplaySource,
  out: Writable,
  options: ExportOptions = {},
): Promise<number> => {
  const every = options.progressEvery ?? 10_000;
  let count = 0;
  const events: AsyncIterable<RecordedEvent> | ReadonlyArray<RecordedEvent> =
    options.streamId === undefined ? namedEvents(source) : await source.store.read(options.streamId);
  for await (const event of events) {
    if (options.since !== undefined && event.metadata.at < options.since) continue;
    await writeLine(out, toJsonlLine(event));
    count += 1;
    if (count % every === 0) options.onProgress?.(count);
  }
  options.onProgress?.(count);
  return count;
};

export const exportToFile = async (
  source: ReplaySource,
  path: string,
  options: ExportOptions = {},
): Promise<number> => {
  // Opened first, so that a path that cannot be written fails here, before any reading, as a rejected promise.
  const handle = await open(path, 'w').catch((error: unknown) => {
    throw new OutputError(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const out = handle.createWriteStream({ encoding: 'utf8' });
  try {
    const count = await exportEvents(source, out, options);
    out.end();
    await once(out, 'finish');
    return count;
  } catch (error) {
    out.destroy();
    throw error;
  }
};

export class ImportRefusedError extends Error {}

/** The export's output file could not be written. */
export class OutputError extends Error {}

export interface ValidationSummary {
  readonly events: number;
  readonly streams: number;
}

/**
 * Reads the whole file once and checks every line before anything is written: the shape of each line, and that each
 * stream's versions run 1, 2, 3… in file order (an import appends whole streams; a `--since` export is for reading).
 */
export const validateJsonl = async (path: string): Promise<ValidationSummary> => {
  const last = new Map<string, number>();
  let events = 0;
  for await (const { line, event } of readJsonlLines(path)) {
    const previous = last.get(event.streamId) ?? 0;
    if (event.version !== previous + 1)
      throw new JsonlLineError(
        line,
        `${event.streamId} version ${String(event.version)} follows version ${String(previous)} ` +
          `(expected ${String(previous + 1)}): import needs whole streams in version order`,
      );
    last.set(event.streamId, event.version);
    events += 1;
  }
  return { events, streams: last.size };
};

/**
 * Imports a validated file into an empty store (then marks it replay-only, where the store can be marked) or one
 * already marked replay-only. Consecutive events of one stream go in one append of at most 100.
 */
export const importJsonl = async (
  target: ReplaySource,
  path: string,
  options: { readonly onProgress?: (events: number) => void } = {},
): Promise<ValidationSummary> => {
  const replayOnly = (await target.marker?.isReplayOnly()) ?? false;
  if (!replayOnly && !(await target.isEmpty()))
    throw new ImportRefusedError(
      `${target.name} holds events and is not marked replay-only: import writes only into an empty store ` +
        `(or one made by an earlier import), never into a store an orchestrator runs on`,
    );
  const summary = await validateJsonl(path);
  if (!replayOnly) await target.marker?.markReplayOnly();
  let batch: RecordedEvent[] = [];
  let written = 0;
  const flush = async () => {
    const first = batch[0];
    if (first === undefined) return;
    const result = await target.store.append(
      first.streamId,
      batch.map(({ type, data, metadata }) => ({ type, data, metadata })),
      first.version - 1,
    );
    if (E.isLeft(result))
      throw new ImportRefusedError(
        `${target.name}: ${first.streamId} already holds events (version conflict at ${String(first.version)})`,
      );
    written += batch.length;
    options.onProgress?.(written);
    batch = [];
  };
  for await (const { event } of readJsonlLines(path)) {
    if (batch.length > 0 && (batch[0]?.streamId !== event.streamId || batch.length >= MAX_EVENTS_PER_APPEND))
      await flush();
    batch.push(event);
  }
  await flush();
  return summary;
};
