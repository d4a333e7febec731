import { DescribeTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredView, ViewStore } from '../../projections/view-store.js';
import { describeViewStoreContract } from '../../test/contracts/view-store.contract.js';
import { createFreshTable, type FreshTable } from '../../test/harness/dynamodb-local-client.js';
import { ACTIVE_VIEWS_INDEX, createDynamoDbViewStore, createViewsTableInput } from './index.js';

const makeTable = (prefix: string): Promise<FreshTable> => createFreshTable(prefix, createViewsTableInput);

const view = (id: string, version: number, body: unknown, active = true): StoredView => ({
  kind: 'job',
  id,
  version,
  active,
  body,
});

describe('[dynamodb-local] DynamoDB view store', () => {
  describeViewStoreContract('view store contract', async () => {
    const { client, tableName, drop } = await makeTable('views-contract');
    return { views: createDynamoDbViewStore({ client, tableName }), cleanup: drop };
  });

  describeViewStoreContract('view store contract, transactional writes', async () => {
    const { client, tableName, drop } = await makeTable('views-contract-tx');
    return { views: createDynamoDbViewStore({ client, tableName, writeMode: 'transaction' }), cleanup: drop };
  });

  describe('DynamoDB specifics', () => {
    let client: DynamoDBClient;
    let tableName: string;
    let drop: () => Promise<void>;
    let views: ViewStore;
    beforeAll(async () => {
      ({ client, tableName, drop } = await makeTable('views-specifics'));
      views = createDynamoDbViewStore({ client, tableName });
    }, 60_000);
    afterAll(async () => drop?.());

    const rawItem = async (id: string): Promise<Record<string, unknown> | undefined> =>
      (
        await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { kind: { S: 'job' }, id: { S: id } },
            ConsistentRead: true,
          }),
        )
      ).Item;

    it('writes activeKind only while the view is active, which keeps the index sparse', async () => {
      await views.put([{ view: view('sparse', 1, { status: 'queued' }), expectedVersion: 0 }]);
      expect(await rawItem('sparse')).toEqual({
        kind: { S: 'job' },
        id: { S: 'sparse' },
        version: { N: '1' },
        active: { BOOL: true },
        activeKind: { S: 'job' },
        body: { M: { status: { S: 'queued' } } },
      });
      await views.put([{ view: view('sparse', 2, { status: 'completed' }, false), expectedVersion: 1 }]);
      expect(await rawItem('sparse')).not.toHaveProperty('activeKind');
      const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(table.Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.Projection?.ProjectionType])).toEqual([
        [ACTIVE_VIEWS_INDEX, 'ALL'],
      ]);
    });

    it('stores what JSON keeps of a body: undefined in an array is null, undefined properties vanish', async () => {
      await views.put([{ view: view('json', 1, { list: [1, undefined, 2], gone: undefined }), expectedVersion: 0 }]);
      expect(await views.get('job', ['json'])).toEqual([view('json', 1, { list: [1, null, 2] })]);
      expect(await rawItem('json')).not.toHaveProperty('body.M.gone');
    });

    it('an item over 400 KB is an error, not a conflict, and is not written', async () => {
      const big = view('too-big', 1, { filler: 'x'.repeat(401 * 1024) });
      await expect(views.put([{ view: big, expectedVersion: 0 }])).rejects.toThrow(/size/i);
      expect(await views.get('job', ['too-big'])).toEqual([]);
    });

    it('a body a map cannot hold is an error, never a silent change', async () => {
      await expect(views.put([{ view: view('empty-key', 1, { '': 1 }), expectedVersion: 0 }])).rejects.toThrow();
      await expect(views.put([{ view: view('huge', 1, { n: 1e21 }), expectedVersion: 0 }])).rejects.toThrow();
      await expect(views.put([{ view: view('bigint', 1, { n: 1n }), expectedVersion: 0 }])).rejects.toThrow(TypeError);
      expect(await views.get('job', ['empty-key', 'huge', 'bigint'])).toEqual([]);
    });

    it('get with duplicate ids answers each view once (BatchGetItem refuses duplicate keys)', async () => {
      await views.put([{ view: view('dup', 1, null), expectedVersion: 0 }]);
      expect(await views.get('job', ['dup', 'dup', 'nope', 'dup'])).toEqual([view('dup', 1, null)]);
    });
  });
});
