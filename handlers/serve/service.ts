import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import Database from 'better-sqlite3';
import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createSqliteDeadLetterStore } from '../../adapters/dead-letter/index.js';
import { createFileRunnerConfigStore } from '../../adapters/runner-config-file/index.js';
import { createSimCloud, createSimGithub, type SimCloud } from '../../adapters/sim/index.js';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import { openSqliteViewStore } from '../../adapters/views-sqlite/index.js';
import { createFeedConsumer } from '../app/feed-consumer.js';
import { createPipeline } from '../app/pipeline.js';
import { buildServer } from '../http/server.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { handleWorkflowJob } from '../webhook/handle-workflow-job.js';
import { ReadModels } from '../../projections/read-models.js';
import type { ViewKind } from '../../projections/view-store.js';
import type { ServeConfig } from './config.js';
import { buildExecutors } from './executors.js';
import { createObservationRecorder } from './record-observation.js';
import { resolveWebhookSecret } from './webhook-secret.js';

/**
 * The composition root of `runs-fleet serve` in its embedded form: SQLite events and views in the data folder, the
 * in-process bus, the simulated cloud and the simulated GitHub. Start-up order matters: views are loaded, the feed is
 * caught up from the checkpoint, pending commands are re-derived (`resume`), and only then is the service ready.
 */
export interface RunningService {
  readonly url: string;
  readonly port: number;
  readonly models: ReadModels;
  readonly metrics: Metrics;
  readonly sim: SimCloud;
  /** Graceful: stop accepting, finish in-flight commands, persist views and the checkpoint. */
  close(): Promise<void>;
}

const VIEW_KINDS: ReadonlyArray<ViewKind> = ['job', 'machine', 'pool', 'runner-use', 'breaker'];
const CONSUMER = 'serve';
const DRAIN_TIMEOUT_MS = 15_000;

const withTimeout = (work: Promise<unknown>, ms: number) =>
  Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);

export const startService = async (config: ServeConfig, logger: Logger): Promise<RunningService> => {
  if (config.store.kind !== 'sqlite')
    throw new Error('serve runs on a sqlite: store for now; DynamoDB serving comes with the stream poller wiring');
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await mkdir(dirname(config.store.path), { recursive: true });
  const { secret, source } = await resolveWebhookSecret(config.webhookSecret, config.webhookSecretFile, config.dataDir);
  if (source.kind === 'file') {
    logger.warn(
      { path: source.path, generated: source.generated },
      'webhook secret read from a file; configure GitHub with its contents',
    );
  }
  const now = () => new Date().toISOString();
  const metrics = createMetrics();
  const store = await openSqliteEventStore(config.store.path);
  const views = await openSqliteViewStore(config.store.path);
  const deadLetterDb = new Database(config.store.path);
  const deadLetters = createSqliteDeadLetterStore(deadLetterDb);
  const models = new ReadModels({ defaultBackend: config.defaultBackend });
  for (const kind of VIEW_KINDS) for await (const view of views.list(kind)) models.load([view]);
  models.takeChanges();

  let state: 'starting' | 'ready' | 'draining' = 'starting';
  // Webhooks are recorded from the first moment; the simulated GitHub, created once the port is known, hears of them.
  let observe: (payload: unknown) => void = () => undefined;
  const app = buildServer({
    webhook: {
      secret,
      handle: async (delivery) => {
        const outcome = await handleWorkflowJob(
          { store, aliases: config.aliases, allowlist: config.allowlist, now },
          delivery,
        );
        if (outcome.kind === 'recorded' || outcome.kind === 'duplicate') observe(delivery.payload);

        return outcome;
      },
    },
    api: {
      models: () => models,
      readStream: (id) => store.read(id),
      apiToken: config.apiToken,
      allowlist: config.allowlist,
    },
    metrics,
    logger,
    readiness: () => ({
      ready: state === 'ready',
      reason: state,
      quarantined: [...models.quarantined.values()],
    }),
  });
  await app.listen({ host: config.host, port: config.port });
  const port = (app.server.address() as AddressInfo).port;

  const configs = createFileRunnerConfigStore(join(config.dataDir, 'runner-configs'));
  const github = createSimGithub({
    webhookUrl: `http://127.0.0.1:${port}/webhook`,
    webhookSecret: secret,
    seed: config.sim.seed,
    logger,
  });
  const sim = createSimCloud({
    report: createObservationRecorder(store, now),
    runnerConfigs: configs,
    github,
    logger,
    seed: config.sim.seed,
    bootDelayMs: config.sim.bootDelayMs,
    jobDurationMs: config.sim.jobDurationMs,
    capacityErrorRate: config.sim.capacityErrorRate,
    spotInterruptionRate: config.sim.spotInterruptionRate,
  });
  logger.warn(
    { sim: true },
    'SIMULATION: machines are simulated (adapters/sim) and so is GitHub; no real runner will start',
  );

  const bus = createInProcessBus(buildExecutors({ store, compute: sim, github, configs, at: now }), {
    onDone: (command, outcome, ms) => {
      metrics.commands.inc({ type: command.type, outcome });
      metrics.commandSeconds.observe({ type: command.type }, ms / 1000);
    },
    onFailure: (command, error, attempt, final) =>
      logger[final ? 'error' : 'warn'](
        { err: error, commandId: command.commandId, type: command.type, attempt },
        'command failed',
      ),
  });
  const pipeline = createPipeline(store, models, bus, {
    // The stream stays paused (its next event is a gap that re-reads and meets the same record); the raw record is
    // kept in the dead-letter table for an operator.
    onQuarantine: (failure, raw) => {
      metrics.quarantinedStreams.set(models.quarantined.size);
      logger.error({ streamId: raw.streamId, version: raw.version, failure }, 'stream quarantined');
      const entry = { streamId: raw.streamId, version: raw.version, reason: failure.kind, raw, at: now() };
      deadLetters.put(entry).catch((error: unknown) => logger.error({ err: error }, 'dead-letter store failed'));
    },
    onCommands: (commands, cause) =>
      logger.debug(
        { streamId: cause.streamId, version: cause.version, commands: commands.map((c) => c.type) },
        'decided',
      ),
  });
  const consumer = createFeedConsumer({
    feed: store,
    checkpoints: store,
    name: CONSUMER,
    idleWaitMs: 500,
    handle: async (recorded) => {
      await pipeline.handle(recorded);
      await views.put(models.takeChanges());
    },
    onError: (error, failure) =>
      logger.error({ err: error, position: failure.recorded?.position }, 'consumer retrying'),
  });

  observe = (payload) => void github.observe(payload);

  await consumer.catchUp();
  const resumed = await pipeline.resume(now());
  consumer.start();
  state = 'ready';
  logger.info({ port, store: config.store.path, resumed: resumed.length }, 'runs-fleet serve is ready');

  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    models,
    metrics,
    sim,
    close: () =>
      (closing ??= (async () => {
        state = 'draining';
        await app.close();
        await withTimeout(bus.idle(), DRAIN_TIMEOUT_MS);
        await consumer.stop();
        await views.put(models.takeChanges());
        sim.close();
        github.close();
        await views.close();
        deadLetterDb.close();
        await store.close();
        logger.info('runs-fleet serve stopped');
      })()),
  };
};
