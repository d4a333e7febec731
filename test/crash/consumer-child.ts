// The crash test's child process: the embedded orchestrator on a SQLite file (store → feed consumer → pipeline →
// in-process bus → real executors → a cloud kept in files), killed by the fixture at the kill point it was given.
// usage: consumer-child <dbPath> <launchLogPath> <killPoint> <seed> [lookup|no-lookup]
// Exit 0 after quiescence, with the final read models' snapshot in <dbPath>.snapshot.json.
import { writeFileSync } from 'node:fs';
import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import { createFeedConsumer, type FeedConsumer } from '../../handlers/app/feed-consumer.js';
import { createPipeline } from '../../handlers/app/pipeline.js';
import { rebuildReadModels } from '../../handlers/app/rebuild.js';
import type { InProcessBus } from '../../adapters/bus-inprocess/index.js';
import { CRASH_SETTINGS, cloudStatePathFor, snapshotPathFor } from './crash-files.js';
import { crashExecutors } from './executors.js';
import { createFileCloud, seededFailure } from './file-cloud.js';
import { killAfterAppend, killAfterHandled, killAfterLaunch, parseKillPoint } from './kill-points.js';

/** One launch in this many fails for capacity (deterministic per commandId and seed): requeues, new attempts. */
const LAUNCH_FAILS_ONE_IN = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Quiet: nothing in flight and nothing unread, twice in a row while the background loop runs. */
const waitQuiet = async (consumer: FeedConsumer, bus: InProcessBus): Promise<void> => {
  for (let quiet = 0; quiet < 2;) {
    await sleep(20);
    quiet = bus.inFlight === 0 && (await consumer.lag()) === 0 ? quiet + 1 : 0;
  }
};

/** With the loop stopped nothing moves but the bus: settle until no command runs and nothing is unread. */
const settle = async (consumer: FeedConsumer, bus: InProcessBus): Promise<void> => {
  for (;;) {
    await bus.idle();
    await consumer.catchUp();
    if (bus.inFlight === 0 && (await consumer.lag()) === 0) return;
  }
};

const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const [dbPath, launchLogPath, killPointText, seedText, lookup = 'lookup'] = args;
  if (dbPath === undefined || launchLogPath === undefined || killPointText === undefined || seedText === undefined) {
    throw new Error('usage: consumer-child <dbPath> <launchLogPath> <killPoint> <seed> [lookup|no-lookup]');
  }
  const point = parseKillPoint(killPointText);
  const at = (): string => new Date().toISOString();
  const base = await openSqliteEventStore(dbPath);
  const store = killAfterAppend(base, point);
  const cloud = createFileCloud({
    statePath: cloudStatePathFor(dbPath),
    launchLogPath,
    lookup: lookup !== 'no-lookup',
    failsFor: seededFailure(Number(seedText), LAUNCH_FAILS_ONE_IN),
  });
  const bus = createInProcessBus(crashExecutors(store, killAfterLaunch(cloud, point), at), { baseDelayMs: 5 });
  // Crash recovery: the in-memory views died with the last process; the table, not the feed, rebuilds them.
  const { models } = await rebuildReadModels({ store: base, settings: CRASH_SETTINGS });
  const pipeline = createPipeline(base, models, bus);
  const consumer = createFeedConsumer({
    feed: base,
    checkpoints: base,
    name: 'pipeline',
    handle: killAfterHandled(pipeline.handle, point),
    batchSize: 20,
    idleWaitMs: 50,
  });
  // Records after the checkpoint are already in the rebuilt views (no-ops now); `resume` re-derives the commands a
  // crash may have cut short (between a decision and its outcome, between a record and its reaction).
  await consumer.catchUp();
  await pipeline.resume(at());
  consumer.start();
  await waitQuiet(consumer, bus);
  await consumer.stop();
  await settle(consumer, bus);
  writeFileSync(snapshotPathFor(dbPath), models.snapshot());
  await base.close();
};

await main(process.argv.slice(2));
