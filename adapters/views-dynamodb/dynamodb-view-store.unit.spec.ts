import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredView } from '../../projections/view-store.js';
import { createDynamoDbViewStore } from './index.js';

// Exact SDK inputs (STYLE item 19), at the document-client level (before marshalling).

const TableName = 'views';
const ddb = mockClient(DynamoDBDocumentClient);
const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const views = createDynamoDbViewStore({ client, tableName: TableName });
const meta = { $metadata: {} };

afterEach(() => ddb.reset());

const view = (id: string, version: number, active = true): StoredView => ({
  kind: 'machine',
  id,
  version,
  active,
  body: { id },
});
const item = (v: StoredView): Record<string, unknown> => ({
  kind: v.kind,
  id: v.id,
  version: v.version,
  active: v.active,
  body: v.body,
  ...(v.active ? { activeKind: v.kind } : {}),
});
const conditionFailed = (): ConditionalCheckFailedException =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

describe('DynamoDB view store (mocked SDK)', () => {
  it('writes each view with its own conditional PutItem', async () => {
    ddb.on(PutCommand).resolves(meta);
    expect(
      await views.put([
        { view: view('a', 1), expectedVersion: 0 },
        { view: view('b', 4, false), expectedVersion: 3 },
      ]),
    ).toEqual([]);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName,
        Item: item(view('a', 1)),
        ConditionExpression: 'attribute_not_exists(#v) OR #v = :expected',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':expected': 0 },
      },
      {
        TableName,
        Item: item(view('b', 4, false)),
        ConditionExpression: '#v = :expected',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':expected': 3 },
      },
    ]);
  });

  it('a failed condition is a ViewConflict; any other error rejects the put after the writes in flight', async () => {
    ddb
      .on(PutCommand, { Item: item(view('lost', 2)) })
      .rejects(conditionFailed())
      .on(PutCommand, { Item: item(view('won', 2)) })
      .resolves(meta);
    expect(
      await views.put([
        { view: view('lost', 2), expectedVersion: 1 },
        { view: view('won', 2), expectedVersion: 1 },
      ]),
    ).toEqual([{ kind: 'ViewConflict', viewKind: 'machine', id: 'lost', expectedVersion: 1 }]);
    ddb.reset();
    ddb.on(PutCommand).rejects(new Error('throttled for good'));
    await expect(views.put([{ view: view('x', 1), expectedVersion: 0 }])).rejects.toThrow('throttled for good');
  });

  it('writes to one view go in order, one after the other', async () => {
    let inFlight = 0;
    let most = 0;
    ddb.on(PutCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return meta;
    });
    await views.put([1, 2, 3].map((version) => ({ view: view('same', version), expectedVersion: version - 1 })));
    expect(most).toBe(1);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.['version'])).toEqual([1, 2, 3]);
  });

  it('get asks 100 keys at a time with consistent reads and retries UnprocessedKeys', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `m${String(i)}`);
    const key = (id: string) => ({ kind: 'machine', id });
    let firstCall = true;
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Array<{ id: string }> }> }) => {
      const keys = input.RequestItems[TableName]?.Keys ?? [];
      // The first answer leaves half its keys unprocessed.
      const [done, later] = firstCall ? [keys.slice(0, 50), keys.slice(50)] : [keys, []];
      firstCall = false;
      return {
        Responses: { [TableName]: done.map((k) => item(view(k.id, 1))) },
        ...(later.length > 0 ? { UnprocessedKeys: { [TableName]: { Keys: later, ConsistentRead: true } } } : {}),
      };
    });
    const found = await views.get('machine', [...ids, 'm0']);
    expect(found.map((v) => v.id).sort()).toEqual([...ids].sort());
    const requests = ddb.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.[TableName]);
    expect(requests.map((r) => [r?.Keys?.length, r?.ConsistentRead])).toEqual([
      [100, true],
      [50, true],
      [50, true],
    ]);
    expect(requests[0]?.Keys?.[0]).toEqual(key('m0'));
  });

  it('get gives up on keys that stay unprocessed', async () => {
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: unknown[] }> }) => ({
      Responses: { [TableName]: [] },
      UnprocessedKeys: { [TableName]: { Keys: input.RequestItems[TableName]?.Keys } },
    }));
    await expect(views.get('machine', ['stuck'])).rejects.toThrow(/unprocessed/);
  }, 30_000);

  it('list queries the kind partition consistently, or the sparse index for activeOnly, page by page', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(view('a', 1))], LastEvaluatedKey: { kind: 'machine', id: 'a' } })
      .resolvesOnce({ Items: [item(view('b', 1))] })
      .resolves({ Items: [] });
    const all: StoredView[] = [];
    for await (const v of views.list('machine')) all.push(v);
    expect(all).toEqual([view('a', 1), view('b', 1)]);
    for await (const _ of views.list('machine', { activeOnly: true })) expect.unreachable();
    expect(ddb.commandCalls(QueryCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName,
        ConsistentRead: true,
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': 'kind' },
        ExpressionAttributeValues: { ':k': 'machine' },
        ExclusiveStartKey: undefined,
      },
      {
        TableName,
        ConsistentRead: true,
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': 'kind' },
        ExpressionAttributeValues: { ':k': 'machine' },
        ExclusiveStartKey: { kind: 'machine', id: 'a' },
      },
      {
        TableName,
        IndexName: 'active-views',
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': 'activeKind' },
        ExpressionAttributeValues: { ':k': 'machine' },
        ExclusiveStartKey: undefined,
      },
    ]);
  });

  it('refuses an item it cannot decode', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ kind: 'machine', id: 'x', version: 'one', active: true }] });
    await expect(async () => {
      for await (const _ of views.list('machine')) expect.unreachable();
    }).rejects.toThrow(/version is not an integer/);
  });
});

const cancelled = (...codes: ReadonlyArray<string>): TransactionCanceledException =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
const putOf = (v: StoredView, expected: number) => ({
  Put: {
    TableName,
    Item: item(v),
    ConditionExpression: expected === 0 ? 'attribute_not_exists(#v) OR #v = :expected' : '#v = :expected',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':expected': expected },
  },
});
const transactions = () => ddb.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems);

describe('DynamoDB view store, transactional writes (mocked SDK)', () => {
  const tx = createDynamoDbViewStore({ client, tableName: TableName, writeMode: 'transaction' });

  it('puts the views of a batch in one transaction, the same conditional puts; a view written twice goes twice, in order', async () => {
    ddb.on(TransactWriteCommand).resolves(meta);
    expect(
      await tx.put([
        { view: view('a', 1), expectedVersion: 0 },
        { view: view('b', 4, false), expectedVersion: 3 },
        { view: view('a', 2), expectedVersion: 1 },
      ]),
    ).toEqual([]);
    expect(transactions()).toEqual([[putOf(view('a', 1), 0), putOf(view('b', 4, false), 3)], [putOf(view('a', 2), 1)]]);
    expect(ddb.commandCalls(PutCommand)).toEqual([]);
  });

  it('carries at most 100 puts a transaction', async () => {
    ddb.on(TransactWriteCommand).resolves(meta);
    await tx.put(Array.from({ length: 250 }, (_, i) => ({ view: view(`m${String(i)}`, 1), expectedVersion: 0 })));
    expect(transactions().map((items) => items?.length)).toEqual([100, 100, 50]);
  });

  it('a failed condition is a ViewConflict: the transaction goes again without it and the other writes apply', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled('None', 'ConditionalCheckFailed', 'None'))
      .resolves(meta);
    expect(
      await tx.put([
        { view: view('a', 2), expectedVersion: 1 },
        { view: view('lost', 2), expectedVersion: 1 },
        { view: view('c', 1), expectedVersion: 0 },
      ]),
    ).toEqual([{ kind: 'ViewConflict', viewKind: 'machine', id: 'lost', expectedVersion: 1 }]);
    expect(transactions()).toEqual([
      [putOf(view('a', 2), 1), putOf(view('lost', 2), 1), putOf(view('c', 1), 0)],
      [putOf(view('a', 2), 1), putOf(view('c', 1), 0)],
    ]);
  });

  it('a transaction cancelled by another one on its items goes again; cancelled for good, the put rejects', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'None')).resolves(meta);
    const writes = [
      { view: view('a', 1), expectedVersion: 0 },
      { view: view('b', 1), expectedVersion: 0 },
    ];
    expect(await tx.put(writes)).toEqual([]);
    expect(transactions()).toHaveLength(2);
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None'));
    await expect(tx.put(writes)).rejects.toThrow('Transaction cancelled');
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled('ValidationError', 'None'));
    await expect(tx.put(writes)).rejects.toThrow('Transaction cancelled');
    expect(transactions()).toHaveLength(1);
  }, 30_000);

  it('a cancellation that names no reasons: the writes go one PutItem each', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {} }))
      .on(PutCommand, { Item: item(view('lost', 2)) })
      .rejects(conditionFailed())
      .on(PutCommand, { Item: item(view('won', 2)) })
      .resolves(meta);
    expect(
      await tx.put([
        { view: view('lost', 2), expectedVersion: 1 },
        { view: view('won', 2), expectedVersion: 1 },
      ]),
    ).toEqual([{ kind: 'ViewConflict', viewKind: 'machine', id: 'lost', expectedVersion: 1 }]);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(2);
  });
});
