import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as E from 'fp-ts/lib/Either.js';
import { createDynamoDbEventStore } from '../../adapters/store-dynamodb/index.js';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import type { ChangeFeed, CheckpointStore, EventStore } from '../../domain/store/index.js';

/**
 * Store URLs, the one syntax every command uses to name an event store (DESIGN section 6). `parseStoreUrl` is pure
 * (no I/O) so it can be tested and reused for validation; `openStore` opens what it names.
 */
export type StoreUrl =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'dynamodb';
      readonly table: string;
      readonly region: string | undefined;
      readonly endpoint: string | undefined;
    }
  | { readonly kind: 'jsonl'; readonly path: string };

export const STORE_URL_FORMS = `Store URLs:
  sqlite:<path>                                    the embedded store, e.g. sqlite:./data/events.db
  dynamodb://<table>?region=<r>&endpoint=<url>     a DynamoDB table; region and endpoint are optional
                                                   (default: the AWS SDK's; endpoint for DynamoDB Local)
  file:<path>.jsonl                                an exported JSONL file (read-only; for replay)`;

export interface StoreUrlError {
  readonly code: 'invalid-store-url';
  readonly message: string;
}

const invalid = (input: string, why: string): E.Either<StoreUrlError, never> =>
  E.left({ code: 'invalid-store-url', message: `${JSON.stringify(input)}: ${why}\n${STORE_URL_FORMS}` });

// DynamoDB's own rules for table names and the shape of region names.
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const REGION = /^[a-z]{2}(-[a-z0-9]+)+$/;
const DYNAMODB_PARAMETERS = new Set(['region', 'endpoint']);

const parseSqlite = (input: string, path: string): E.Either<StoreUrlError, StoreUrl> =>
  path === '' ? invalid(input, 'sqlite: needs a file path') : E.right({ kind: 'sqlite', path });

const parseEndpoint = (input: string, endpoint: string | null): E.Either<StoreUrlError, string | undefined> => {
  if (endpoint === null) return E.right(undefined);
  const url = URL.canParse(endpoint) ? new URL(endpoint) : null;
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:')
    ? E.right(endpoint)
    : invalid(input, `endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`);
};

const parseDynamoDb = (input: string, rest: string): E.Either<StoreUrlError, StoreUrl> => {
  const [table = '', query = ''] = rest.split(/\?(.*)/s);
  if (!TABLE_NAME.test(table)) return invalid(input, `${JSON.stringify(table)} is not a DynamoDB table name`);
  const params = new URLSearchParams(query);
  const unknown = [...params.keys()].filter((key) => !DYNAMODB_PARAMETERS.has(key));
  if (unknown.length > 0)
    return invalid(input, `unknown parameter(s) ${unknown.join(', ')}; allowed: region, endpoint`);
  const region = params.get('region');
  if (region !== null && !REGION.test(region)) return invalid(input, `${JSON.stringify(region)} is not an AWS region`);
  return E.map((endpoint: string | undefined): StoreUrl => ({
    kind: 'dynamodb',
    table,
    region: region ?? undefined,
    endpoint,
  }))(parseEndpoint(input, params.get('endpoint')));
};

const parseJsonl = (input: string): E.Either<StoreUrlError, StoreUrl> => {
  // `file:///abs/x.jsonl` is a standard file URL; `file:relative/x.jsonl` is a plain path after the scheme.
  const path = input.startsWith('file://') ? fileURLToPath(input) : input.slice('file:'.length);
  return path.endsWith('.jsonl') && path.length > '.jsonl'.length
    ? E.right({ kind: 'jsonl', path })
    : invalid(input, 'file: names an exported event file ending in .jsonl');
};

export const parseStoreUrl = (input: string): E.Either<StoreUrlError, StoreUrl> => {
  if (input.startsWith('sqlite:')) return parseSqlite(input, input.slice('sqlite:'.length));
  if (input.startsWith('dynamodb://')) return parseDynamoDb(input, input.slice('dynamodb://'.length));
  if (input.startsWith('file:')) return parseJsonl(input);
  const hint = /\.(db|sqlite3?)$/.test(input) ? ` (did you mean sqlite:${input}?)` : '';
  return invalid(input, `not a store URL${hint}`);
};

/** An opened store: the event-store port always; the feed and checkpoints where the store has a global order. */
export interface OpenedStore {
  readonly url: StoreUrl;
  readonly store: EventStore;
  readonly feed: (ChangeFeed & CheckpointStore) | undefined;
  close(): Promise<void>;
}

export class StoreOpenError extends Error {}

/**
 * Opens a store for a command. `mustExist` refuses a SQLite path that does not exist (opening would create an empty
 * store: a read-only command such as `rebuild` would then report a clean, empty result for a mistyped path).
 */
export const openStore = async (
  url: StoreUrl,
  options: { readonly mustExist?: boolean } = {},
): Promise<OpenedStore> => {
  switch (url.kind) {
    case 'sqlite': {
      if (options.mustExist === true && !existsSync(url.path)) throw new StoreOpenError(`${url.path}: no such store`);
      const store = await openSqliteEventStore(url.path);
      return { url, store, feed: store, close: () => store.close() };
    }
    case 'dynamodb': {
      const client = new DynamoDBClient({
        ...(url.region === undefined ? {} : { region: url.region }),
        ...(url.endpoint === undefined ? {} : { endpoint: url.endpoint }),
      });
      const store = createDynamoDbEventStore({ client, tableName: url.table });
      return { url, store, feed: undefined, close: async () => client.destroy() };
    }
    case 'jsonl':
      throw new StoreOpenError(
        `file:${url.path}: JSONL exports are read by the replay command; this command needs sqlite: or dynamodb://`,
      );
  }
};
