import * as E from 'fp-ts/lib/Either.js';
import { assertAppendArguments, assertReadAfterArguments } from '../../domain/store/index.js';
import type {
  Appended,
  ChangeFeed,
  CheckpointStore,
  EventStore,
  NewEvent,
  RecordedEvent,
  ReplayMarker,
  VersionConflict,
} from '../../domain/store/index.js';
import { createAppendNotifier } from '../shared/append-notifier.js';
import { createMemoryCheckpointStore } from './memory-checkpoint-store.js';

/** The in-memory store for tests: the full port set of the SQLite store, with gap-free positions 1, 2, 3, … */
export type MemoryEventStore = EventStore & ChangeFeed & CheckpointStore & ReplayMarker;

/** Events are kept as JSON text, like SQLite keeps them: callers can never reach stored history by reference. */
interface StoredEvent {
  readonly streamId: string;
  readonly version: number;
  readonly position: number;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

const toJson = (value: unknown): string => {
  const text: string | undefined = JSON.stringify(value);
  return text ?? 'null';
};

const toRecorded = (event: StoredEvent): RecordedEvent => ({
  streamId: event.streamId,
  version: event.version,
  position: event.position,
  type: event.type,
  data: JSON.parse(event.data) as unknown,
  metadata: JSON.parse(event.metadata) as RecordedEvent['metadata'],
});

export const createMemoryEventStore = (): MemoryEventStore => {
  const streams = new Map<string, StoredEvent[]>();
  const log: StoredEvent[] = [];
  const notifier = createAppendNotifier();
  let replayOnly = false;

  const appendNow = (
    streamId: string,
    events: ReadonlyArray<NewEvent>,
    expectedVersion: number,
  ): E.Either<VersionConflict, Appended> => {
    assertAppendArguments(streamId, events, expectedVersion);
    // Serialise everything before writing anything: a value JSON cannot carry fails the whole append.
    const serialised = events.map((e) => ({ type: e.type, data: toJson(e.data), metadata: toJson(e.metadata) }));
    const stream = streams.get(streamId) ?? [];
    if (stream.length !== expectedVersion) {
      return E.left({ kind: 'VersionConflict', streamId, expectedVersion });
    }
    const stored = serialised.map((e, i) => ({
      ...e,
      streamId,
      version: expectedVersion + i + 1,
      position: log.length + i + 1,
    }));
    streams.set(streamId, [...stream, ...stored]);
    log.push(...stored);
    notifier.notify(log.length);
    return E.right({ streamId, version: expectedVersion + stored.length });
  };

  const readAfterNow = (after: number, limit: number): ReadonlyArray<RecordedEvent> => {
    assertReadAfterArguments(after, limit);
    return log.slice(after, after + limit).map(toRecorded);
  };

  return {
    ...createMemoryCheckpointStore(),
    // The executor runs synchronously (the append takes effect at call time); a throw becomes a rejection.
    append: (streamId, events, expectedVersion) =>
      new Promise((resolve) => resolve(appendNow(streamId, events, expectedVersion))),
    read: (streamId, options) => {
      const from = options?.fromVersion ?? 1;
      const stream = streams.get(streamId) ?? [];
      return Promise.resolve(stream.filter((e) => e.version >= from).map(toRecorded));
    },
    listStreams: async function* (category) {
      const prefix = `${category}#`;
      for (const streamId of [...streams.keys()]) {
        if (streamId.startsWith(prefix)) yield streamId;
      }
    },
    readAfter: (after, limit) => new Promise((resolve) => resolve(readAfterNow(after, limit))),
    waitForAppend: (after, timeoutMs, signal) => notifier.wait(after, log.length, timeoutMs, signal),
    head: () => Promise.resolve(log.length),
    markReplayOnly: () => {
      replayOnly = true;
      return Promise.resolve();
    },
    isReplayOnly: () => Promise.resolve(replayOnly),
  };
};
