/**
 * The DynamoDB path of the end-to-end benchmarks, from the real parts, on a DynamoDB Local started for the benchmark:
 * the events table (with its NEW_IMAGE stream), the DynamoDB event store, the views table and store, and the stream
 * poller of `serve` on AWS (handlers/stream/dynamodb-stream-consumer.ts: shard leases in a lease table, checkpoints)
 * feeding either the view-backed consumer (views loaded from and written back to the views table, once per page of
 * records, as `serve` on DynamoDB wires it) or the shared pipeline on in-memory read models (as one `serve` keeps
 * them). Commands are observed (`onCommands`) and dropped: carrying them out would add appends of their own.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { createMemoryDeadLetterStore } from '../../adapters/dead-letter/index.js';
import { createDynamoDbEventStore, createEventsTableInput } from '../../adapters/store-dynamodb/index.js';
import { createLeaseTableInput } from '../../adapters/stream-dynamodb/index.js';
import { createDynamoDbViewStore, createViewsTableInput } from '../../adapters/views-dynamodb/index.js';
import type { CommandBus } from '../../domain/ports/command-bus.js';
import type { EventStore, RecordedEvent } from '../../domain/store/index.js';
import { createPipeline, type PipelineHooks } from '../../handlers/app/pipeline.js';
import { createViewBackedConsumer } from '../../handlers/app/view-backed-consumer.js';
import { createDynamoDbStreamConsumer, latestStreamArn } from '../../handlers/stream/index.js';
import { ReadModels } from '../../projections/read-models.js';
import { createDynamoDbLocalClient, freshTableName, startDynamoDbLocal } from '../../test/harness/dynamodb-local.js';
import { sharedClockMs } from './latency.js';
import { queuedJobEvents } from './queued-job.js';

export interface DynamoDbRig {
  readonly client: DynamoDBClient;
  readonly store: EventStore;
  /** Starts the poller on the events table's stream (from its oldest record) into a consumer. */
  startConsumer(options: ConsumerOptions): Promise<{ stop(): Promise<void> }>;
  /** Stops the emulator. */
  close(): Promise<void>;
}

export interface ConsumerOptions {
  /** `view-backed`: views from and to the views table per record; `read-models`: the pipeline on in-memory models. */
  readonly mode: 'view-backed' | 'read-models';
  /** The poller's pause after an empty GetRecords (its default is 500 ms). */
  readonly idleMs: number;
  /**
   * A record's event is in the views: with `view-backed` when the changed views are written back, with
   * `read-models` when `ReadModels.apply` took it. `at` is `sharedClockMs`.
   */
  readonly onApplied: (streamId: string, version: number, at: number) => void;
  readonly onCommands?: PipelineHooks['onCommands'];
  /** The poller handed the record over (before any processing): separates stream delivery from the consumer's work. */
  readonly onDelivered?: (streamId: string, version: number, at: number) => void;
}

const droppingBus: CommandBus = { dispatch: async () => undefined };

export const startDynamoDbRig = async (log: (line: string) => void): Promise<DynamoDbRig> => {
  const ddb = await startDynamoDbLocal();
  log(`DynamoDB Local on ${ddb.endpoint} answered in ${ddb.startMs.toFixed(0)} ms`);
  const client = createDynamoDbLocalClient(ddb.endpoint);
  const streamsClient = new DynamoDBStreamsClient({
    endpoint: ddb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const eventsTable = freshTableName('bench-events');
    const viewsTable = freshTableName('bench-views');
    const leaseTable = freshTableName('bench-leases');
    await client.send(new CreateTableCommand(createEventsTableInput(eventsTable)));
    await client.send(new CreateTableCommand(createViewsTableInput(viewsTable)));
    await client.send(new CreateTableCommand(createLeaseTableInput(leaseTable)));
    const store = createDynamoDbEventStore({ client, tableName: eventsTable });
    const views = createDynamoDbViewStore({ client, tableName: viewsTable });
    const streamArn = await latestStreamArn(client, eventsTable);
    // DynamoDB Local answers GetRecords on a TRIM_HORIZON iterator of a still EMPTY shard with TrimmedDataAccessException
    // ("read past the oldest stream record"), and the shard worker retries that same iterator with backoff for ever: a
    // poller started on an empty stream never reads. One event first, as a table in use has.
    const seeded = await store.append('job#bench-seed', queuedJobEvents(0, new Date().toISOString()), 0);
    if (seeded._tag === 'Left') throw new Error('could not seed the events table');
    const settings = { defaultBackend: 'ec2' } as const;
    let consumers = 0;

    const handlerFor = (options: ConsumerOptions): ((recorded: RecordedEvent) => Promise<unknown>) => {
      const handle = consumerFor(options);

      return (recorded) => {
        options.onDelivered?.(recorded.streamId, recorded.version, sharedClockMs());

        return handle(recorded);
      };
    };

    /** `view-backed` as `serve` wires it: a page of records at a time, each view read and written once per page. */
    const batchHandlerFor = (
      options: ConsumerOptions,
    ): ((records: ReadonlyArray<RecordedEvent>) => Promise<unknown>) => {
      const hooks: PipelineHooks = options.onCommands === undefined ? {} : { onCommands: options.onCommands };
      const consumer = createViewBackedConsumer({ store, views, bus: droppingBus, settings, hooks });

      return async (records) => {
        for (const r of records) options.onDelivered?.(r.streamId, r.version, sharedClockMs());
        const outcomes = await consumer.handleBatch(records);
        const at = sharedClockMs();
        records.forEach((r, i) => {
          if (outcomes[i] === 'applied' || outcomes[i] === 'caught-up-gap')
            options.onApplied(r.streamId, r.version, at);
        });
      };
    };

    const consumerFor = (options: ConsumerOptions): ((recorded: RecordedEvent) => Promise<unknown>) => {
      const hooks: PipelineHooks = options.onCommands === undefined ? {} : { onCommands: options.onCommands };
      if (options.mode === 'view-backed') {
        const consumer = createViewBackedConsumer({ store, views, bus: droppingBus, settings, hooks });

        return async (recorded) => {
          const outcome = await consumer.handle(recorded);
          if (outcome === 'applied' || outcome === 'caught-up-gap') {
            options.onApplied(recorded.streamId, recorded.version, sharedClockMs());
          }
        };
      }
      const models = new ReadModels(settings);
      const apply = models.apply.bind(models);
      models.apply = (envelope) => {
        const outcome = apply(envelope);
        if (outcome.kind === 'apply') options.onApplied(envelope.streamId, envelope.version, sharedClockMs());

        return outcome;
      };
      const pipeline = createPipeline(store, models, droppingBus, hooks);

      return (recorded) => pipeline.handle(recorded);
    };

    return {
      client,
      store,
      startConsumer: async (options) => {
        const poller = createDynamoDbStreamConsumer({
          streamsClient,
          dynamoClient: client,
          streamArn,
          leaseTable,
          owner: `bench-${++consumers}`,
          ...(options.mode === 'view-backed'
            ? { handleBatch: batchHandlerFor(options) }
            : { handle: handlerFor(options) }),
          deadLetters: createMemoryDeadLetterStore(),
          clock: { now: () => Date.now() },
          idleMs: options.idleMs,
          logger: {
            info: () => undefined,
            warn: (obj, msg) => log(`poller: ${msg} ${JSON.stringify(obj)}`),
            error: (obj, msg) => log(`poller: ${msg} ${JSON.stringify(obj)}`),
          },
        });
        await poller.start();

        return { stop: () => poller.stop() };
      },
      close: async () => {
        streamsClient.destroy();
        client.destroy();
        await ddb.stop();
      },
    };
  } catch (error) {
    streamsClient.destroy();
    client.destroy();
    await ddb.stop();
    throw error;
  }
};
