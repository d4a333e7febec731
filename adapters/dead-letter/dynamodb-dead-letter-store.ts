import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { deadLetterKey } from '../../domain/store/index.js';
import type { DeadLetterEntry, DeadLetterStore } from '../../domain/store/index.js';

/**
 * Dead letters on DynamoDB, in their OWN table (not a `dlq#` partition of the events table): the events table's
 * stream feeds the consumers, so a dead letter written there would come back to them as a record, and a poison one
 * could feed itself. One item per entry, partition key `key` = `deadLetterKey(entry)`, written with
 * `attribute_not_exists(key)`: a redelivered poison record is stored once (the condition failing is success).
 * `raw` is stored as JSON text (a poisoned image may hold attribute values no marshaller accepts); text past
 * `MAX_RAW_BYTES` is cut and flagged, because an item cannot exceed 400 KB and a stream record can come close.
 */
export const DEAD_LETTER_TABLE_PK = 'key';
export const DEAD_LETTER_ATTRIBUTES = {
  streamId: 'streamId',
  version: 'version',
  reason: 'reason',
  raw: 'raw',
  rawTruncated: 'rawTruncated',
  at: 'at',
} as const;

export const MAX_RAW_BYTES = 350_000;
const MAX_REASON_CHARS = 4_000;

/** CreateTable input: on demand, no stream, no index (`list` scans; dead letters are few). `infra/` mirrors it. */
export const createDeadLetterTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: DEAD_LETTER_TABLE_PK, AttributeType: 'S' }],
  KeySchema: [{ AttributeName: DEAD_LETTER_TABLE_PK, KeyType: 'HASH' }],
});

export interface DynamoDbDeadLetterStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

const A = DEAD_LETTER_ATTRIBUTES;

/** The largest cut <= `at` that does not split a UTF-8 character (continuation bytes are 0b10xxxxxx). */
const charBoundary = (bytes: Buffer, at: number): number => {
  let cut = at;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut -= 1;

  return cut;
};

const rawText = (raw: unknown): { readonly text: string; readonly truncated: boolean } => {
  const text = JSON.stringify(raw) ?? 'null';
  const bytes = Buffer.from(text, 'utf8');

  return bytes.length <= MAX_RAW_BYTES
    ? { text, truncated: false }
    : { text: bytes.subarray(0, charBoundary(bytes, MAX_RAW_BYTES)).toString('utf8'), truncated: true };
};

const toItem = (entry: DeadLetterEntry): Record<string, unknown> => {
  const { text, truncated } = rawText(entry.raw);

  return {
    [DEAD_LETTER_TABLE_PK]: deadLetterKey(entry),
    ...(entry.streamId === null ? {} : { [A.streamId]: entry.streamId }),
    ...(entry.version === null ? {} : { [A.version]: entry.version }),
    [A.reason]: entry.reason.slice(0, MAX_REASON_CHARS),
    [A.raw]: text,
    ...(truncated ? { [A.rawTruncated]: true } : {}),
    [A.at]: entry.at,
  };
};

/** A truncated `raw` comes back as the text kept, not parsed. */
const toEntry = (item: Record<string, unknown>): DeadLetterEntry => {
  const raw = String(item[A.raw] ?? 'null');
  const streamId = item[A.streamId];
  const version = item[A.version];

  return {
    streamId: typeof streamId === 'string' ? streamId : null,
    version: typeof version === 'number' ? version : null,
    reason: String(item[A.reason] ?? ''),
    raw: item[A.rawTruncated] === true ? raw : (JSON.parse(raw) as unknown),
    at: String(item[A.at] ?? ''),
  };
};

const isConditionFailure = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && 'name' in e && e.name === 'ConditionalCheckFailedException';

export const createDynamoDbDeadLetterStore = ({
  client,
  tableName,
}: DynamoDbDeadLetterStoreOptions): DeadLetterStore => {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  return {
    put: async (entry) => {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: toItem(entry),
            ConditionExpression: 'attribute_not_exists(#k)',
            ExpressionAttributeNames: { '#k': DEAD_LETTER_TABLE_PK },
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    },
    list: async function* () {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        yield* (page.Items ?? []).map(toEntry);
        start = page.LastEvaluatedKey;
      } while (start);
    },
  };
};
