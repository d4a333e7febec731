import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredView, ViewConflict, ViewKind, ViewStore, ViewWrite } from '../../projections/view-store.js';
import {
  ACTIVE_VIEWS_INDEX,
  ACTIVE_VIEWS_PK,
  VIEW_ATTRIBUTES as A,
  VIEWS_TABLE_PK,
  VIEWS_TABLE_SK,
} from './table-schema.js';
import { decodeViewItem, toViewItem } from './view-item.js';

export interface DynamoDbViewStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Most PutItems of one `put` in flight at once (default 16). */
  readonly writeConcurrency?: number;
}

/** Most keys one BatchGetItem may carry. */
const MAX_BATCH_GET_KEYS = 100;
/** Most BatchGetItems of one `get` in flight at once. */
const READ_CONCURRENCY = 4;
/** Rounds of retrying UnprocessedKeys (throttling, 16 MB answers) before `get` gives up. */
const MAX_UNPROCESSED_RETRIES = 8;

const errorName = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' ? e.name : undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const chunks = <T>(items: ReadonlyArray<T>, size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Runs `task` over `items`, at most `limit` at once. On the first error it starts nothing new, waits for the tasks in
 * flight, then rejects with that error.
 */
const forEachBounded = async <T>(
  items: ReadonlyArray<T>,
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
};

const decode = (tableName: string, item: unknown): StoredView => {
  const view = decodeViewItem(item);
  if (typeof view === 'string') throw new Error(`${tableName}: undecodable view item: ${view}`);

  return view;
};

/**
 * The DynamoDB view store: one item per view, keyed (kind, id) (see table-schema.ts).
 *
 * `put`: one conditional PutItem per write (`version = :expected`, or for expected 0 also `attribute_not_exists`),
 * never BatchWriteItem (it takes no conditions) nor one transaction (writes must succeed or conflict on their own).
 * Writes to different views run concurrently, bounded; writes to the same view run in the order given, so a batch
 * behaves as if applied in order. A ConditionalCheckFailed is a `ViewConflict`; any other error rejects the `put`
 * after the writes in flight settle, and writes that completed before it stay (each is conditional, so a retried
 * `put` reports those as conflicts and the caller reloads).
 *
 * `get`: BatchGetItem, 100 keys a request, consistent reads, UnprocessedKeys retried with backoff.
 * `list`: a consistent Query on the kind's partition, or on the sparse active index (eventually consistent).
 */
export const createDynamoDbViewStore = ({
  client,
  tableName,
  writeConcurrency = 16,
}: DynamoDbViewStoreOptions): ViewStore => {
  // A body map with a key named `constructor` looks like a class instance to the marshaller; it is still a map.
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });

  /** True when written, false when its condition failed. */
  const putOne = async (item: Record<string, unknown>, expectedVersion: number): Promise<boolean> => {
    try {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: item,
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(#v) OR #v = :expected' : '#v = :expected',
          ExpressionAttributeNames: { '#v': A.version },
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );

      return true;
    } catch (e) {
      if (errorName(e) === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  };

  const put: ViewStore['put'] = async (writes) => {
    // Items first: a body JSON cannot carry throws here, before anything is written.
    const items = writes.map((w) => toViewItem(w.view));
    const byView = new Map<string, number[]>();
    writes.forEach(({ view }, i) => {
      const key = JSON.stringify([view.kind, view.id]);
      byView.set(key, [...(byView.get(key) ?? []), i]);
    });
    const applied = new Array<boolean>(writes.length).fill(false);
    await forEachBounded([...byView.values()], writeConcurrency, async (indexes) => {
      for (const i of indexes) {
        applied[i] = await putOne(items[i] ?? {}, (writes[i] as ViewWrite).expectedVersion);
      }
    });

    return writes.flatMap(({ view, expectedVersion }, i): ViewConflict[] =>
      applied[i] ? [] : [{ kind: 'ViewConflict', viewKind: view.kind, id: view.id, expectedVersion }],
    );
  };

  const getChunk = async (kind: ViewKind, ids: ReadonlyArray<string>): Promise<StoredView[]> => {
    const found: StoredView[] = [];
    let keys: ReadonlyArray<Record<string, unknown>> = ids.map((id) => ({
      [VIEWS_TABLE_PK]: kind,
      [VIEWS_TABLE_SK]: id,
    }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > MAX_UNPROCESSED_RETRIES) {
        throw new Error(`${tableName}: ${keys.length} keys still unprocessed after ${attempt - 1} retries`);
      }
      if (attempt > 0) await sleep(Math.random() * 25 * 2 ** attempt);
      const answer = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: [...keys], ConsistentRead: true } } }),
      );
      found.push(...(answer.Responses?.[tableName] ?? []).map((item) => decode(tableName, item)));
      keys = answer.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }

    return found;
  };

  const get: ViewStore['get'] = async (kind, ids) => {
    // BatchGetItem refuses duplicate keys.
    const found: StoredView[] = [];
    await forEachBounded(chunks([...new Set(ids)], MAX_BATCH_GET_KEYS), READ_CONCURRENCY, async (chunk) => {
      found.push(...(await getChunk(kind, chunk)));
    });

    return found;
  };

  async function* list(kind: ViewKind, options: { readonly activeOnly?: boolean } = {}): AsyncIterable<StoredView> {
    const activeOnly = options.activeOnly === true;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(
        new QueryCommand({
          TableName: tableName,
          ...(activeOnly ? { IndexName: ACTIVE_VIEWS_INDEX } : { ConsistentRead: true }),
          KeyConditionExpression: '#k = :k',
          ExpressionAttributeNames: { '#k': activeOnly ? ACTIVE_VIEWS_PK : VIEWS_TABLE_PK },
          ExpressionAttributeValues: { ':k': kind },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) yield decode(tableName, item);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  return { get, put, list };
};
