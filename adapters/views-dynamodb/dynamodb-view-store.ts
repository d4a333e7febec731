import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
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
  /** Most PutItems (or transactions) of one `put` in flight at once (default 16). */
  readonly writeConcurrency?: number;
  /**
   * `item` (default): one conditional PutItem per write. `transaction`: the same conditional puts, up to 100 in one
   * TransactWriteItems, with the same answer (see `put`). A transactional write costs twice the write units on AWS
   * but a batch of views costs one request instead of one each, which is what limits DynamoDB Local (the fault soak,
   * the benchmarks) and the CPU of the process sending them.
   */
  readonly writeMode?: 'item' | 'transaction';
}

/** Most keys one BatchGetItem may carry. */
const MAX_BATCH_GET_KEYS = 100;
/** Most BatchGetItems of one `get` in flight at once. */
const READ_CONCURRENCY = 4;
/** Rounds of retrying UnprocessedKeys (throttling, 16 MB answers) before `get` gives up. */
const MAX_UNPROCESSED_RETRIES = 8;
/** Most puts one TransactWriteItems may carry. */
const MAX_TRANSACT_ITEMS = 100;
/** What one transaction's items may weigh, as JSON (DynamoDB allows 4 MB; an item is at most 400 KB). */
const MAX_TRANSACT_JSON = 3_000_000;
/** Times a transaction cancelled only by other transactions on its items is sent again before `put` gives up. */
const MAX_TRANSACTION_CONFLICT_RETRIES = 5;

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

/** A transaction may be cancelled by these and still be sent again: failed conditions, other transactions. */
const RETRYABLE_CANCELLATIONS: ReadonlySet<string> = new Set(['None', 'ConditionalCheckFailed', 'TransactionConflict']);

/** The cancellation reason of each item of a cancelled transaction, in order ([] when the answer names none). */
const cancellationCodes = (e: unknown): ReadonlyArray<string> => {
  const reasons = typeof e === 'object' && e !== null && 'CancellationReasons' in e ? e.CancellationReasons : undefined;

  return Array.isArray(reasons)
    ? reasons.map((r: unknown) =>
        typeof r === 'object' && r !== null && 'Code' in r && typeof r.Code === 'string' ? r.Code : 'None',
      )
    : [];
};

type AfterCancellation =
  | { readonly kind: 'fail' }
  | { readonly kind: 'one-by-one' }
  | { readonly kind: 'resend' | 'pause-and-resend'; readonly pending: ReadonlyArray<number> };

/**
 * After a failed transaction of the writes at `pending`: send again without those whose condition failed (they are
 * conflicts), or after a pause when only other transactions were in the way; put them one by one when the answer
 * does not say which failed; give up on anything else (not a cancellation, validation, throttling).
 */
const afterCancellation = (e: unknown, pending: ReadonlyArray<number>): AfterCancellation => {
  if (errorName(e) !== 'TransactionCanceledException') return { kind: 'fail' };
  const reasons = cancellationCodes(e);
  if (reasons.length !== pending.length) return { kind: 'one-by-one' };
  if (reasons.some((code) => !RETRYABLE_CANCELLATIONS.has(code))) return { kind: 'fail' };
  const left = pending.filter((_, j) => reasons[j] !== 'ConditionalCheckFailed');

  return { kind: left.length === pending.length ? 'pause-and-resend' : 'resend', pending: left };
};

/** Splits `indexes` into transactions within DynamoDB's item count and size limits. */
const transactionBatches = (
  indexes: ReadonlyArray<number>,
  items: ReadonlyArray<Record<string, unknown>>,
): number[][] => {
  const batches: number[][] = [];
  let current: number[] = [];
  let weight = 0;
  for (const i of indexes) {
    const size = JSON.stringify(items[i] ?? {}).length;
    if (current.length === MAX_TRANSACT_ITEMS || (current.length > 0 && weight + size > MAX_TRANSACT_JSON)) {
      batches.push(current);
      current = [];
      weight = 0;
    }
    current.push(i);
    weight += size;
  }
  if (current.length > 0) batches.push(current);

  return batches;
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
 * never BatchWriteItem (it takes no conditions). Writes to different views run concurrently, bounded; writes to the
 * same view run in the order given, so a batch behaves as if applied in order. A ConditionalCheckFailed is a
 * `ViewConflict`; any other error rejects the `put` after the writes in flight settle, and writes that completed
 * before it stay (each is conditional, so a retried `put` reports those as conflicts and the caller reloads).
 *
 * With `writeMode: 'transaction'` the same puts go in TransactWriteItems: the n-th write to each view in the n-th
 * round, a round in transactions of up to 100 distinct views. Writes still succeed or conflict on their own: a
 * transaction cancelled by failed conditions is sent again without those writes (they are the conflicts), one
 * cancelled by another transaction on its items is sent again after a pause, and when the cancellation names no
 * reasons the transaction's writes go one PutItem each.
 *
 * `get`: BatchGetItem, 100 keys a request, consistent reads, UnprocessedKeys retried with backoff.
 * `list`: a consistent Query on the kind's partition, or on the sparse active index (eventually consistent).
 */
export const createDynamoDbViewStore = ({
  client,
  tableName,
  writeConcurrency = 16,
  writeMode = 'item',
}: DynamoDbViewStoreOptions): ViewStore => {
  // A body map with a key named `constructor` looks like a class instance to the marshaller; it is still a map.
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });

  /** True when written, false when its condition failed. */
  const putOne = async (item: Record<string, unknown>, expectedVersion: number): Promise<boolean> => {
    try {
      await doc.send(new PutCommand(putInput(item, expectedVersion)));

      return true;
    } catch (e) {
      if (errorName(e) === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  };

  const putInput = (item: Record<string, unknown>, expectedVersion: number) => ({
    TableName: tableName,
    Item: item,
    ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(#v) OR #v = :expected' : '#v = :expected',
    ExpressionAttributeNames: { '#v': A.version },
    ExpressionAttributeValues: { ':expected': expectedVersion },
  });

  /** The writes at `indexes` (distinct views) in transactions; marks in `applied` those that took effect. */
  const putTransaction = async (
    indexes: ReadonlyArray<number>,
    items: ReadonlyArray<Record<string, unknown>>,
    writes: ReadonlyArray<ViewWrite>,
    applied: boolean[],
  ): Promise<void> => {
    const putEach = async (at: ReadonlyArray<number>): Promise<void> => {
      for (const i of at) applied[i] = await putOne(items[i] ?? {}, (writes[i] as ViewWrite).expectedVersion);
    };
    let pending = indexes;
    for (let conflicts = 0; pending.length > 0;) {
      const transactItems = pending.map((i) => ({
        Put: putInput(items[i] ?? {}, (writes[i] as ViewWrite).expectedVersion),
      }));
      const error = await doc.send(new TransactWriteCommand({ TransactItems: transactItems })).then(
        () => undefined,
        (e: unknown) => ({ e }),
      );
      if (error === undefined) {
        for (const i of pending) applied[i] = true;

        return;
      }
      const next = afterCancellation(error.e, pending);
      if (next.kind === 'fail') throw error.e;
      if (next.kind === 'one-by-one') return putEach(pending);
      if (next.kind === 'pause-and-resend') {
        if (++conflicts > MAX_TRANSACTION_CONFLICT_RETRIES) throw error.e;
        await sleep(Math.random() * 25 * 2 ** conflicts);
      }
      pending = next.pending;
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
    if (writeMode === 'transaction') {
      const rounds = [...byView.values()].reduce<number[][]>((acc, indexes) => {
        indexes.forEach((i, n) => (acc[n] ??= []).push(i));

        return acc;
      }, []);
      for (const round of rounds) {
        const batches = transactionBatches(round, items);
        await forEachBounded(batches, writeConcurrency, (batch) => putTransaction(batch, items, writes, applied));
      }
    } else {
      await forEachBounded([...byView.values()], writeConcurrency, async (indexes) => {
        for (const i of indexes) {
          applied[i] = await putOne(items[i] ?? {}, (writes[i] as ViewWrite).expectedVersion);
        }
      });
    }

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
