import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync } from 'node:fs';
import { createDynamoDbEventStore } from '../../adapters/store-dynamodb/index.js';
import { openJsonlEventStore } from '../../adapters/store-jsonl/index.js';
import { openSqliteEventStore, type SqliteEventStore } from '../../adapters/store-sqlite/index.js';
import type { EventStore, RecordedEvent } from '../../domain/store/event-store.js';
import type { ReplayMarker } from '../../domain/store/replay-marker.js';
import { parseStoreUrl, type StoreUrl } from '../cli/store-url.js';

/**
 * A store opened for replay, export or import, with its events in the store's own order: SQLite by global position,
 * a JSONL file in file order, DynamoDB (no global order) stream by stream, sorted by time, then stream, then version.
 */
export interface ReplaySource {
  readonly name: string;
  readonly url: StoreUrl;
  readonly store: EventStore;
  /** Every event in the store's order; may be iterated more than once. */
  events(): AsyncIterable<RecordedEvent>;
  /**
   * The same events, a batch at a time (a chunk of a file, a page of SQLite): what replay folds. A batch read lazily
   * (a JSONL line is parsed when reached) fails with `StoreUnavailableError`, naming the store.
   */
  batches(): AsyncIterable<Iterable<RecordedEvent>>;
  /** Only for stores that can be written: whether they hold nothing, and their replay marker where they have one. */
  isEmpty(): Promise<boolean>;
  readonly marker: ReplayMarker | undefined;
  close(): Promise<void>;
}

/** The store could not be opened or read: the message names the store and the cause. */
export class StoreUnavailableError extends Error {}

const CATEGORIES = ['job', 'machine', 'pool'] as const;
const PAGE = 1_000;

async function* sqlitePages(store: SqliteEventStore): AsyncGenerator<ReadonlyArray<RecordedEvent>> {
  let after = 0;
  for (;;) {
    const batch = await store.readAfter(after, PAGE);
    if (batch.length === 0) return;
    for (const event of batch) after = event.position ?? after;
    yield batch;
  }
}

async function* oneByOne(batches: AsyncIterable<Iterable<RecordedEvent>>): AsyncGenerator<RecordedEvent> {
  for await (const batch of batches) yield* batch;
}

const byTimeStreamVersion = (a: RecordedEvent, b: RecordedEvent): number =>
  a.metadata.at < b.metadata.at
    ? -1
    : a.metadata.at > b.metadata.at
      ? 1
      : a.streamId < b.streamId
        ? -1
        : a.streamId > b.streamId
          ? 1
          : a.version - b.version;

async function* dynamoEvents(store: EventStore): AsyncGenerator<ReadonlyArray<RecordedEvent>> {
  const all: RecordedEvent[] = [];
  for (const category of CATEGORIES)
    for await (const streamId of store.listStreams(category)) all.push(...(await store.read(streamId)));
  all.sort(byTimeStreamVersion);
  for (let from = 0; from < all.length; from += PAGE) yield all.slice(from, from + PAGE);
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const unreadable = (name: string, error: unknown) =>
  new StoreUnavailableError(`${name}: cannot read the store: ${describe(error)}`);

const open = async (url: StoreUrl, name: string, options: { readonly create: boolean }): Promise<ReplaySource> => {
  switch (url.kind) {
    case 'sqlite': {
      if (!options.create && !existsSync(url.path)) throw new StoreUnavailableError(`${name}: no such store`);
      const store = await openSqliteEventStore(url.path);
      return {
        name,
        url,
        store,
        events: () => oneByOne(sqlitePages(store)),
        batches: () => sqlitePages(store),
        isEmpty: async () => (await store.head()) === 0,
        marker: store,
        close: () => store.close(),
      };
    }
    case 'dynamodb': {
      const client = new DynamoDBClient({
        ...(url.region === undefined ? {} : { region: url.region }),
        ...(url.endpoint === undefined ? {} : { endpoint: url.endpoint }),
      });
      const store = createDynamoDbEventStore({ client, tableName: url.table });
      const isEmpty = async () => {
        for (const category of CATEGORIES) for await (const _ of store.listStreams(category)) return false;
        return true;
      };
      return {
        name,
        url,
        store,
        events: () => oneByOne(dynamoEvents(store)),
        batches: () => dynamoEvents(store),
        isEmpty,
        marker: undefined,
        close: async () => client.destroy(),
      };
    }
    case 'jsonl': {
      const store = await openJsonlEventStore(url.path);
      return {
        name,
        url,
        store,
        events: () => store.readAll(),
        batches: () => store.readBatches((error) => unreadable(name, error)),
        isEmpty: () => Promise.reject(new StoreUnavailableError(`${name}: a JSONL export is read-only`)),
        marker: undefined,
        close: async () => undefined,
      };
    }
  }
};

/** Opens a store URL for replay; `create` lets `events import` create a new SQLite file. */
export const openReplaySource = async (
  input: string,
  options: { readonly create?: boolean } = {},
): Promise<ReplaySource> => {
  const parsed = parseStoreUrl(input);
  if (E.isLeft(parsed)) throw new StoreUnavailableError(parsed.left.message);
  try {
    return await open(parsed.right, input, { create: options.create === true });
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    throw new StoreUnavailableError(`${input}: cannot open the store: ${describe(error)}`);
  }
};

/** Wraps a read so that a failure names the store (an unreachable DynamoDB endpoint fails on the first read). */
export async function* namedEvents(source: ReplaySource): AsyncGenerator<RecordedEvent> {
  try {
    yield* source.events();
  } catch (error) {
    throw unreadable(source.name, error);
  }
}

/** `namedEvents` a batch at a time: what replay reads (an await per batch, not per event). */
export async function* namedBatches(source: ReplaySource): AsyncGenerator<Iterable<RecordedEvent>> {
  try {
    yield* source.batches();
  } catch (error) {
    throw error instanceof StoreUnavailableError ? error : unreadable(source.name, error);
  }
}
