import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import Database from 'better-sqlite3';
import { createSqliteDeadLetterStore } from '../../adapters/dead-letter/index.js';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import { openSqliteViewStore } from '../../adapters/views-sqlite/index.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import { ReadModels } from '../../projections/read-models.js';
import { createFeedConsumer, type FeedConsumer } from '../app/feed-consumer.js';
import { createPipeline } from '../app/pipeline.js';
import { readModelsSource } from '../http/api-routes.js';
import { readModelsPoolSource } from '../pools/pool-sources.js';
import { VIEW_KINDS, type StoreComposition } from './store-composition.js';

const CONSUMER = 'serve';

/**
 * The embedded store (one process): SQLite events, views and dead letters in one file. The views are loaded into
 * read models held in memory, the feed is caught up from the checkpoint, pending commands are re-derived (`resume`),
 * and only then does the consumer follow new events; each batch's changed views are written back before its checkpoint.
 */
export const openSqliteComposition = async (
  path: string,
  settings: ProcessSettings,
  deps: { readonly logger: Logger; readonly now: () => string },
): Promise<StoreComposition> => {
  const { logger, now } = deps;
  await mkdir(dirname(path), { recursive: true });
  const store = await openSqliteEventStore(path);
  const views = await openSqliteViewStore(path);
  const deadLetterDb = new Database(path);
  const deadLetters = createSqliteDeadLetterStore(deadLetterDb);
  const models = new ReadModels(settings);
  for (const kind of VIEW_KINDS) for await (const view of views.list(kind)) models.load([view]);
  models.takeChanges();
  let consumer: FeedConsumer | undefined;

  return {
    store,
    deadLetters,
    models,
    read: readModelsSource(() => models),
    poolSource: readModelsPoolSource(() => models),
    description: path,
    quarantined: () => [...models.quarantined.values()],
    lag: async () => (consumer === undefined ? null : consumer.lag()),
    start: async (bus, hooks) => {
      const pipeline = createPipeline(store, models, bus, hooks);
      const feed = createFeedConsumer({
        feed: store,
        checkpoints: store,
        name: CONSUMER,
        idleWaitMs: 500,
        handle: async (recorded) => {
          await pipeline.handle(recorded);
        },
        // Views are written once per batch (one fsync), before the batch's checkpoint.
        afterBatch: async () => {
          await views.put(models.takeChanges());
        },
        onError: (error, failure) =>
          logger.error({ err: error, position: failure.recorded?.position }, 'consumer retrying'),
      });
      consumer = feed;
      await feed.catchUp();
      const resumed = await pipeline.resume(now());
      feed.start();

      return resumed.length;
    },
    stop: async () => {
      await consumer?.stop();
      await views.put(models.takeChanges());
    },
    close: async () => {
      await views.close();
      deadLetterDb.close();
      await store.close();
    },
  };
};
