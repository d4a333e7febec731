import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Logger } from 'pino';
import { createDynamoDbDeadLetterStore } from '../../adapters/dead-letter/index.js';
import { createDynamoDbEventStore } from '../../adapters/store-dynamodb/index.js';
import type { StreamPoller } from '../../adapters/stream-dynamodb/index.js';
import { createDynamoDbViewStore } from '../../adapters/views-dynamodb/index.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import type { Quarantine } from '../../projections/read-models.js';
import { createViewBackedConsumer } from '../app/view-backed-consumer.js';
import { createDynamoDbStreamConsumer, latestStreamArn } from '../stream/dynamodb-stream-consumer.js';
import { createServeTables, serveTables } from './dynamodb-tables.js';
import type { StoreComposition } from './store-composition.js';
import { createLeaseResume, loadActiveModels, type LeaseResume } from './lease-resume.js';
import { viewStorePoolSource, viewStoreSource } from './view-store-source.js';

export interface DynamoDbStoreUrl {
  readonly table: string;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
}

export interface DynamoDbCompositionDeps {
  readonly logger: Logger;
  readonly now: () => string;
  /** Create the four tables when missing (`RUNS_FLEET_CREATE_TABLES`). */
  readonly createTables: boolean;
  /** The poller's shard lease duration (`RUNS_FLEET_SHARD_LEASE_MS`). */
  readonly shardLeaseMs: number;
}

/**
 * Records read per GetRecords and folded together: a page costs a few round trips whatever its size (views read
 * once, written once), so a backlog drains faster in bigger pages; a page cut short by a crash is delivered again.
 */
const STREAM_PAGE_SIZE = 500;

/** Unique per process: two pollers with one owner name would both think they hold its leases. */
export const pollerOwner = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/**
 * The store of `runs-fleet serve` on DynamoDB, which several replicas share (DESIGN section 6): events, views, dead
 * letters and shard leases in four tables (`dynamodb-tables.ts`). The DynamoDB Streams poller takes shard leases so
 * the replicas split the stream without processing a record twice at once, and hands each record to the view-backed
 * consumer (views loaded from and written back to the view table, conditionally). Nothing is held in memory between
 * records: the read API reads the view table, and whoever takes a shard lease runs `resume` over the active views
 * (lease-resume.ts).
 */
export const openDynamoDbComposition = async (
  url: DynamoDbStoreUrl,
  settings: ProcessSettings,
  deps: DynamoDbCompositionDeps,
): Promise<StoreComposition> => {
  const { logger, now } = deps;
  const clientConfig = {
    ...(url.region === undefined ? {} : { region: url.region }),
    ...(url.endpoint === undefined ? {} : { endpoint: url.endpoint }),
  };
  const client = new DynamoDBClient(clientConfig);
  const streamsClient = new DynamoDBStreamsClient(clientConfig);
  const tables = serveTables(url.table);
  try {
    if (deps.createTables) {
      const created = await createServeTables(client, tables);
      if (created.length > 0) logger.warn({ tables: created }, 'created missing DynamoDB tables');
    }
    const streamArn = await latestStreamArn(client, tables.events).catch((error: unknown) => {
      if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
      throw new Error(
        `${tables.events}: no such table (${error.message}); create the tables with infra/, or let serve create them: RUNS_FLEET_CREATE_TABLES=true`,
      );
    });
    const store = createDynamoDbEventStore({ client, tableName: tables.events });
    // A page's views in a few transactions rather than one request each (views-dynamodb: same per-write answer).
    const views = createDynamoDbViewStore({ client, tableName: tables.views, writeMode: 'transaction' });
    const deadLetters = createDynamoDbDeadLetterStore({ client, tableName: tables.deadLetters });
    const models = await loadActiveModels(views, settings);
    const quarantined = new Map<string, Quarantine>();
    const owner = pollerOwner();
    let poller: StreamPoller | undefined;
    let takeovers: LeaseResume | undefined;

    return {
      store,
      deadLetters,
      models,
      read: viewStoreSource(views, settings),
      poolSource: viewStorePoolSource(views, settings),
      viewStore: views,
      description: `dynamodb://${tables.events} (views ${tables.views}, leases ${tables.leases}, owner ${owner})`,
      lag: async () => null,
      quarantined: () => [...quarantined.values()],
      start: async (bus, hooks) => {
        let starting = true;
        let resumedAtStart = 0;
        const resumes = createLeaseResume({
          views,
          settings,
          bus,
          now,
          onResumed: (commands) => {
            if (starting) resumedAtStart += commands;
            else logger.info({ resumed: commands }, 'shard lease taken over: pending commands resumed');
          },
          onError: (error) => logger.error({ err: error }, 'resume after taking a shard lease failed'),
        });
        takeovers = resumes;
        const consumer = createViewBackedConsumer({
          store,
          views,
          bus,
          settings,
          hooks: {
            ...hooks,
            onQuarantine: (failure, raw) => {
              const reason =
                failure.kind === 'UnknownEventType' ? `unknown event type ${failure.type}` : failure.reason;
              quarantined.set(raw.streamId, { streamId: raw.streamId, version: raw.version, reason });
              hooks.onQuarantine?.(failure, raw);
            },
          },
        });
        poller = createDynamoDbStreamConsumer({
          streamsClient,
          dynamoClient: client,
          streamArn,
          leaseTable: tables.leases,
          owner,
          // A page at a time: each view read and written once per page rather than once per record.
          handleBatch: consumer.handleBatch,
          deadLetters,
          onDeadLetter: (entry) =>
            logger.error({ streamId: entry.streamId, version: entry.version, reason: entry.reason }, 'dead-lettered'),
          clock: { now: () => Date.now() },
          leaseMs: deps.shardLeaseMs,
          batchSize: STREAM_PAGE_SIZE,
          logger,
          // Whoever holds a shard re-derives what is pending, at start and after each takeover. A replica holding no
          // lease has nothing of its own in flight: the commands come from the stream.
          onLeaseTaken: () => resumes.request(),
        });
        await poller.start();
        await resumes.idle();
        starting = false;

        return resumedAtStart;
      },
      stop: async () => {
        await poller?.stop();
        await takeovers?.idle();
      },
      close: async () => {
        streamsClient.destroy();
        client.destroy();
      },
    };
  } catch (error) {
    streamsClient.destroy();
    client.destroy();
    throw error;
  }
};
