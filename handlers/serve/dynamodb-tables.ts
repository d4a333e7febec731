import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDeadLetterTableInput } from '../../adapters/dead-letter/index.js';
import { createEventsTableInput } from '../../adapters/store-dynamodb/index.js';
import { createLeaseTableInput } from '../../adapters/stream-dynamodb/index.js';
import { createViewsTableInput } from '../../adapters/views-dynamodb/index.js';

/**
 * The tables of `runs-fleet serve` on DynamoDB. The store URL names the events table; the others are named after it
 * (`infra/` creates the same four): `<table>-views`, `<table>-dead-letters`, `<table>-leases`.
 */
export interface ServeTables {
  readonly events: string;
  readonly views: string;
  readonly deadLetters: string;
  readonly leases: string;
}

export const serveTables = (events: string): ServeTables => ({
  events,
  views: `${events}-views`,
  deadLetters: `${events}-dead-letters`,
  leases: `${events}-leases`,
});

const errorName = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' ? e.name : undefined;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const TABLE_WAIT_MS = 120_000;

/** Resolves once the table is ACTIVE (a table just created, or being created by another replica, is not yet). */
const waitActive = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  const deadline = Date.now() + TABLE_WAIT_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (table.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`${tableName} is still ${table.Table?.TableStatus ?? 'unknown'}`);
    await sleep(delay);
  }
};

const createIfMissing = async (client: DynamoDBClient, input: CreateTableCommandInput): Promise<boolean> => {
  let created = true;
  try {
    await client.send(new CreateTableCommand(input));
  } catch (e) {
    // Already there (or being created by another replica starting at the same moment).
    if (errorName(e) !== 'ResourceInUseException') throw e;
    created = false;
  }
  await waitActive(client, input.TableName ?? '');

  return created;
};

/** Creates whichever of the four tables is missing (with the adapters' own CreateTable inputs); returns those made. */
export const createServeTables = async (
  client: DynamoDBClient,
  tables: ServeTables,
): Promise<ReadonlyArray<string>> => {
  const inputs = [
    createEventsTableInput(tables.events),
    createViewsTableInput(tables.views),
    createDeadLetterTableInput(tables.deadLetters),
    createLeaseTableInput(tables.leases),
  ];
  const created = await Promise.all(inputs.map((input) => createIfMissing(client, input)));

  return inputs.filter((_, i) => created[i] === true).map((input) => input.TableName ?? '');
};
