import { DynamoDBClient, TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../../domain/store/index.js';
import { createDynamoDbEventStore } from './index.js';

// Exact SDK inputs (STYLE item 19), at the document-client level (before marshalling).

const AT = '2024-05-01T10:00:00.000Z';
const ev = (type: string, data: unknown = {}): NewEvent => ({ type, data, metadata: { at: AT } });
const TableName = 'events';
const ddb = mockClient(DynamoDBDocumentClient);
const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const store = createDynamoDbEventStore({ client, tableName: TableName });
const meta = { $metadata: {} };

afterEach(() => ddb.reset());

const put = (version: number, type: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  TableName,
  Item: { streamId: 'job#1', version, type, data: {}, metadata: { at: AT }, at: AT, ...extra },
  ConditionExpression: 'attribute_not_exists(#v)',
  ExpressionAttributeNames: { '#v': 'version' },
});

describe('DynamoDB event store (mocked SDK)', () => {
  it('a first single event is one conditional PutItem carrying the category', async () => {
    ddb.on(PutCommand).resolves({});
    expect(await store.append('job#1', [ev('JobQueued')], 0)).toEqual(E.right({ streamId: 'job#1', version: 1 }));
    const calls = ddb.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual(put(1, 'JobQueued', { category: 'job' }));
  });

  it('a single event at expected > 0 is a transaction: ConditionCheck on the expected version, then the put', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await store.append('job#1', [ev('B')], 3)).toEqual(E.right({ streamId: 'job#1', version: 4 }));
    expect(ddb.calls()[0]?.args[0].input).toMatchObject({
      TransactItems: [
        {
          ConditionCheck: {
            TableName,
            Key: { streamId: 'job#1', version: 3 },
            ConditionExpression: 'attribute_exists(#v)',
            ExpressionAttributeNames: { '#v': 'version' },
          },
        },
        { Put: put(4, 'B') },
      ],
    });
  });

  it('100 events at expected > 0 read the expected version first, then write 100 puts', async () => {
    ddb
      .on(GetCommand)
      .resolves({ Item: { version: 5 } })
      .on(TransactWriteCommand)
      .resolves({});
    const events = Array.from({ length: 100 }, () => ev('E'));
    expect(await store.append('job#1', events, 5)).toEqual(E.right({ streamId: 'job#1', version: 105 }));
    const [get, write] = ddb.calls();
    expect(get?.args[0].input).toMatchObject({ Key: { streamId: 'job#1', version: 5 }, ConsistentRead: true });
    expect((write?.args[0].input as { TransactItems: unknown[] }).TransactItems).toHaveLength(100);
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    expect(await store.append('job#1', events, 5)).toEqual(
      E.left({ kind: 'VersionConflict', streamId: 'job#1', expectedVersion: 5 }),
    );
    expect(ddb.calls()).toHaveLength(1);
  });

  it('maps conditional failures to VersionConflict, retries lost transaction races, rethrows the rest', async () => {
    const conflict = E.left({ kind: 'VersionConflict', streamId: 'job#1', expectedVersion: 0 });
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    expect(await store.append('job#1', [ev('A')], 0)).toEqual(conflict);

    const cancelled = (codes: string[]): TransactionCanceledException =>
      new TransactionCanceledException({
        message: `Transaction cancelled [${codes.join(', ')}]`,
        $metadata: {},
        CancellationReasons: codes.map((Code) => ({ Code })),
      });
    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    expect(await store.append('job#1', [ev('A'), ev('B')], 0)).toEqual(conflict);

    ddb.reset();
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['TransactionConflict', 'None']))
      .rejectsOnce(new TransactionConflictException({ message: 'busy', $metadata: {} }))
      .resolves(meta);
    expect(await store.append('job#1', [ev('A'), ev('B')], 0)).toEqual(E.right({ streamId: 'job#1', version: 2 }));
    expect(ddb.calls()).toHaveLength(3);

    ddb.reset();
    ddb.on(TransactWriteCommand).rejects(cancelled(['ValidationError']));
    await expect(store.append('job#1', [ev('A'), ev('B')], 0)).rejects.toThrow(TransactionCanceledException);
    ddb.reset();
    ddb.on(PutCommand).rejects(new Error('socket hang up'));
    await expect(store.append('job#1', [ev('A')], 0)).rejects.toThrow('socket hang up');
  });
});
