import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DeleteTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import Database from 'better-sqlite3';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterKey } from '../../domain/store/index.js';
import type { DeadLetterEntry, DeadLetterStore } from '../../domain/store/index.js';
import { dynamodbLocalClient, freshTableName } from '../../test/harness/dynamodb-local-client.js';
import {
  DEAD_LETTERS_TABLE,
  DEAD_LETTER_ATTRIBUTES,
  DEAD_LETTER_TABLE_PK,
  MAX_RAW_BYTES,
  createDeadLetterTableInput,
  createDynamoDbDeadLetterStore,
  createMemoryDeadLetterStore,
  createSqliteDeadLetterStore,
} from './index.js';

/**
 * The one dead-letter contract every adapter passes unchanged. `make` returns an EMPTY store (a fresh table or file),
 * so `list` can be compared exactly.
 */
const describeDeadLetterStoreContract = (
  title: string,
  make: () => Promise<{ store: DeadLetterStore; cleanup(): Promise<void> }>,
): void => {
  describe(title, () => {
    let store: DeadLetterStore;
    let cleanup: (() => Promise<void>) | undefined;
    const listed = async (): Promise<DeadLetterEntry[]> => {
      const all: DeadLetterEntry[] = [];
      for await (const entry of store.list()) all.push(entry);

      return all;
    };
    const of = async (streamId: string | null, raw: unknown): Promise<DeadLetterEntry[]> =>
      (await listed()).filter((e) => e.streamId === streamId && JSON.stringify(e.raw) === JSON.stringify(raw));

    beforeAll(async () => {
      ({ store, cleanup } = await make());
    }, 60_000);
    afterAll(async () => cleanup?.(), 60_000);

    it('keeps what it is given, raw as JSON keeps it', async () => {
      const raw = { eventName: 'INSERT', dynamodb: { NewImage: { version: { S: 'one' } } }, gone: undefined, n: 1.5 };
      const entry = {
        streamId: 'job#kept',
        version: 3,
        reason: 'version is not a number',
        raw,
        at: '2026-01-01T00:00:00.000Z',
      };
      await store.put(entry);
      expect(await of('job#kept', JSON.parse(JSON.stringify(raw)))).toEqual([
        { ...entry, raw: { eventName: 'INSERT', dynamodb: { NewImage: { version: { S: 'one' } } }, n: 1.5 } },
      ]);
    });

    it('stores a redelivered record once, keeping the first entry, also when the puts race', async () => {
      const first = {
        streamId: 'job#twice',
        version: 1,
        reason: 'first',
        raw: { a: 1 },
        at: '2026-01-01T00:00:00.000Z',
      };
      await store.put(first);
      await store.put({ ...first, reason: 'second', at: '2026-01-02T00:00:00.000Z' });
      await Promise.all(Array.from({ length: 5 }, () => store.put({ ...first, reason: 'raced' })));
      expect(await of('job#twice', { a: 1 })).toEqual([first]);
    });

    it('without keys, identifies a record by its content, whatever the key order', async () => {
      const raw = { eventName: 'INSERT', dynamodb: { Keys: {}, SequenceNumber: '7' } };
      const reordered = { dynamodb: { SequenceNumber: '7', Keys: {} }, eventName: 'INSERT' };
      await store.put({ streamId: null, version: null, reason: 'no keys', raw, at: '2026-01-01T00:00:00.000Z' });
      await store.put({
        streamId: null,
        version: null,
        reason: 'no keys',
        raw: reordered,
        at: '2026-01-01T00:00:01.000Z',
      });
      await store.put({
        streamId: null,
        version: null,
        reason: 'other',
        raw: 'not a record',
        at: '2026-01-01T00:00:00.000Z',
      });
      await store.put({ streamId: null, version: null, reason: 'other', raw: null, at: '2026-01-01T00:00:00.000Z' });
      expect(await of(null, raw)).toHaveLength(1);
      expect(await of(null, 'not a record')).toHaveLength(1);
      expect(await of(null, null)).toHaveLength(1);
    });

    it('lists every distinct entry exactly once', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 20 }),
          fc.nat({ max: 3 }),
          async (versions, repeats) => {
            const streamId = `machine#many-${versions.join('-')}`;
            for (let r = 0; r <= repeats; r++) {
              for (const version of versions) {
                await store.put({ streamId, version, reason: 'r', raw: { version }, at: '2026-01-01T00:00:00.000Z' });
              }
            }
            const mine = (await listed()).filter((e) => e.streamId === streamId);
            expect(mine.map((e) => e.version).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
              [...versions].sort((a, b) => a - b),
            );
          },
        ),
        { numRuns: 10 },
      );
    });
  });
};

describe('memory dead-letter store', () => {
  describeDeadLetterStoreContract('dead-letter contract', async () => ({
    store: createMemoryDeadLetterStore(),
    cleanup: async () => undefined,
  }));
});

describe('[sqlite] SQLite dead-letter store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-dead-letters-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describeDeadLetterStoreContract('dead-letter contract', async () => {
    const db = new Database(join(dir, 'contract.db'));
    db.pragma('journal_mode = WAL');

    return { store: createSqliteDeadLetterStore(db), cleanup: async () => void db.close() };
  });

  it('survives reopening the file, keeps its table beside others, and still stores a redelivery once', async () => {
    const path = join(dir, 'events.db');
    const entry = { streamId: 'job#1', version: 2, reason: 'bad', raw: { x: 1 }, at: '2026-01-01T00:00:00.000Z' };
    const first = new Database(path);
    first.exec('CREATE TABLE events (position INTEGER PRIMARY KEY)');
    await createSqliteDeadLetterStore(first).put(entry);
    first.close();
    const second = new Database(path);
    const store = createSqliteDeadLetterStore(second);
    await store.put({ ...entry, reason: 'again' });
    const all = [];
    for await (const e of store.list()) all.push(e);
    expect(all).toEqual([entry]);
    const tables = second.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['events', DEAD_LETTERS_TABLE]));
    second.close();
  });

  it('pages through more entries than one page holds', async () => {
    const db = new Database(':memory:');
    const store = createSqliteDeadLetterStore(db);
    for (let v = 1; v <= 1_201; v++) {
      await store.put({ streamId: 'pool#big', version: v, reason: 'r', raw: v, at: '2026-01-01T00:00:00.000Z' });
    }
    let n = 0;
    for await (const e of store.list()) n += e.version === n + 1 ? 1 : 0;
    expect(n).toBe(1_201);
    db.close();
  });
});

const makeTable = async () => {
  const client = dynamodbLocalClient();
  const tableName = freshTableName('dead-letters');
  await client.send(new CreateTableCommand(createDeadLetterTableInput(tableName)));

  return {
    client,
    tableName,
    store: createDynamoDbDeadLetterStore({ client, tableName }),
    cleanup: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
};

describe('[dynamodb-local] DynamoDB dead-letter store', () => {
  describeDeadLetterStoreContract('dead-letter contract', makeTable);

  it('stores raw as JSON text under the dead-letter key, and cuts (and flags) a raw record too big for an item', async () => {
    const { client, tableName, store, cleanup } = await makeTable();
    try {
      const small = { streamId: 'job#1', version: 1, reason: 'r', raw: { NewImage: { x: { Q: 1 } } }, at: 'now' };
      const big = { streamId: 'job#1', version: 2, reason: 'r', raw: { blob: 'é'.repeat(MAX_RAW_BYTES) }, at: 'now' };
      await store.put(small);
      await store.put(big);
      const item = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { [DEAD_LETTER_TABLE_PK]: { S: deadLetterKey(small) } } }),
      );
      expect(item.Item?.[DEAD_LETTER_ATTRIBUTES.raw]).toEqual({ S: JSON.stringify(small.raw) });
      const listed = [];
      for await (const e of store.list()) listed.push(e);
      const cut = listed.find((e) => e.version === 2);
      expect(typeof cut?.raw).toBe('string');
      expect(Buffer.byteLength(String(cut?.raw))).toBeLessThanOrEqual(MAX_RAW_BYTES);
      expect(listed.find((e) => e.version === 1)).toEqual(small);
    } finally {
      await cleanup();
    }
  });
});
