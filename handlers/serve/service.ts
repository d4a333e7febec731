import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import type { SimCloud } from '../../adapters/sim/index.js';
import type { PipelineHooks } from '../app/pipeline.js';
import { buildServer } from '../http/server.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { handleWorkflowJob } from '../webhook/handle-workflow-job.js';
import type { ReadModels } from '../../projections/read-models.js';
import { openBus, type BusComposition } from './bus-composition.js';
import { openCompute, type ComputeComposition } from './compute-composition.js';
import { observeJobLatency } from '../observability/job-latency.js';
import type { ServeConfig } from './config.js';
import { openDynamoDbComposition } from './dynamodb-composition.js';
import { buildExecutors } from './executors.js';
import { startServePools, withPoolPokes } from '../pools/serve-pools.js';
import type { PoolReconciler } from '../pools/reconciler.js';
import { faultyPorts, faultyStore, type FaultInjection } from './fault-injection.js';
import { openSqliteComposition } from './sqlite-composition.js';
import { startServeHousekeeping } from '../housekeeping/index.js';
import type { StoreComposition } from './store-composition.js';
import { resolveWebhookSecret } from './webhook-secret.js';

/**
 * The composition root of `runs-fleet serve`. The embedded default: SQLite events and views in the data folder, the
 * in-process bus, the simulated cloud and the simulated GitHub. Each part can be swapped by configuration: the store
 * (`store-composition.ts`: SQLite, or DynamoDB shared by several replicas), where machines come from
 * (`compute-composition.ts`: in process, or a shared `runs-fleet sim-cloud`) and the command bus
 * (`bus-composition.ts`: in process, or SQS FIFO). Start-up order matters: views are loaded, the feed is caught up
 * (DynamoDB: the active views are loaded), pending commands are re-derived (`resume`), and only then is the service
 * ready.
 */
export interface RunningService {
  readonly url: string;
  readonly port: number;
  /** Embedded: the live read models. DynamoDB: the active views loaded at start (the read API reads the view table). */
  readonly models: ReadModels;
  readonly metrics: Metrics;
  /** The in-process simulated cloud (with `--compute sim-remote`: an unused, empty one). */
  readonly sim: SimCloud;
  /** Graceful: stop accepting, finish in-flight commands, persist views and the checkpoint. */
  close(): Promise<void>;
}

/** Optional observers of a running service, and the fault-injection port (`fault-injection.ts`) soaks wire. */
export interface ServiceOptions {
  /** Every decision that emitted commands, just before they are dispatched (benchmarks measure webhook → command). */
  readonly onCommands?: PipelineHooks['onCommands'];
  /** Wrappers around the ports (store, compute, GitHub, runner configs); none by default. */
  readonly faults?: FaultInjection;
}

const LAG_SAMPLE_MS = 2_000;
const DRAIN_TIMEOUT_MS = 15_000;
/** The SQS worker's long poll (20 s) and a margin. */
const WORKER_STOP_TIMEOUT_MS = 25_000;

const withTimeout = (work: Promise<unknown>, ms: number) =>
  Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);

/** What the decisions read of the configuration: the default backend, and EC2 as the fallback when both run. */
const processSettingsOf = (config: ServeConfig): ProcessSettings => ({
  defaultBackend: config.defaultBackend,
  fallbackBackend: config.compute === 'ec2+k8s' ? 'ec2' : null,
});

const openStoreComposition = (config: ServeConfig, logger: Logger, now: () => string): Promise<StoreComposition> => {
  const settings = processSettingsOf(config);
  switch (config.store.kind) {
    case 'sqlite':
      return openSqliteComposition(config.store.path, settings, { logger, now });
    case 'dynamodb':
      return openDynamoDbComposition(config.store, settings, {
        logger,
        now,
        createTables: config.createTables,
        shardLeaseMs: config.shardLeaseMs,
      });
    case 'jsonl':
      throw new Error('serve needs a sqlite: or dynamodb:// store; a JSONL export is read-only');
  }
};

const pipelineHooks = (
  stored: StoreComposition,
  deps: {
    readonly metrics: Metrics;
    readonly logger: Logger;
    readonly now: () => string;
    readonly options: ServiceOptions;
  },
): PipelineHooks => {
  const { metrics, logger, now } = deps;

  return {
    // The stream stays paused (its next event is a gap that re-reads and meets the same record); the raw record is
    // kept in the dead-letter table for an operator.
    onQuarantine: (failure, raw) => {
      metrics.quarantinedStreams.set(stored.quarantined().length);
      logger.error({ streamId: raw.streamId, version: raw.version, failure }, 'stream quarantined');
      const entry = { streamId: raw.streamId, version: raw.version, reason: failure.kind, raw, at: now() };
      stored.deadLetters.put(entry).catch((error: unknown) => logger.error({ err: error }, 'dead-letter store failed'));
    },
    onApplied: observeJobLatency(metrics),
    onCommands: (commands, cause) => {
      logger.debug(
        { streamId: cause.streamId, version: cause.version, commands: commands.map((c) => c.type) },
        'decided',
      );
      deps.options.onCommands?.(commands, cause);
    },
  };
};

const pick = ({ compute, github, configs }: ComputeComposition, faults: FaultInjection) =>
  faultyPorts(faults, { compute, github, configs });

const storeRegion = (config: ServeConfig): string | undefined =>
  config.store.kind === 'dynamodb' ? config.store.region : undefined;

export const startService = async (
  config: ServeConfig,
  logger: Logger,
  options: ServiceOptions = {},
): Promise<RunningService> => {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const { secret, source } = await resolveWebhookSecret(config.webhookSecret, config.webhookSecretFile, config.dataDir);
  if (source.kind === 'file') {
    logger.warn(
      { path: source.path, generated: source.generated },
      'webhook secret read from a file; configure GitHub with its contents',
    );
  }
  const now = () => new Date().toISOString();
  const metrics = createMetrics();
  const stored = await openStoreComposition(config, logger, now);
  const faults = options.faults ?? {};
  const store = faultyStore(faults, stored.store);

  let state: 'starting' | 'ready' | 'draining' = 'starting';
  let lagTimer: NodeJS.Timeout | undefined;
  let pools: PoolReconciler | null = null;
  let housekeeping: { stop(): Promise<void> } | null = null;
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
      source: stored.read,
      readStream: (id) => store.read(id),
      apiToken: config.apiToken,
      allowlist: config.allowlist,
    },
    metrics,
    logger,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    readiness: () => ({
      ready: state === 'ready',
      reason: state,
      quarantined: stored.quarantined(),
    }),
  });
  await app.listen({ host: config.host, port: config.port });
  const port = (app.server.address() as AddressInfo).port;

  const wire = async (): Promise<{ cloud: ComputeComposition; bus: BusComposition }> => {
    const cloud = openCompute(config, { store, secret, port, logger, now });
    let bus: BusComposition | undefined;
    try {
      const executors = buildExecutors({ ...pick(cloud, faults), store, at: now });
      bus = openBus(config, executors, { metrics, logger, region: storeRegion(config) });
      observe = (payload) => cloud.observe(payload);
      const resumed = await stored.start(
        bus.bus,
        withPoolPokes(pipelineHooks(stored, { metrics, logger, now, options }), () => pools),
      );
      bus.start();
      const vanished = await cloud.recover(stored.models);
      const ports = pick(cloud, options.faults ?? {});
      housekeeping = startServeHousekeeping({
        enabled: config.housekeeping?.enabled ?? true,
        orphanGraceMinutes: config.housekeeping?.orphanGraceMinutes ?? 15,
        store,
        compute: ports.compute,
        github: ports.github,
        models: stored.models,
        ...(stored.viewStore === undefined ? {} : { viewStore: stored.viewStore }),
        processSettings: processSettingsOf(config),
        now,
        logger,
      });
      // Warm pools: reconciled every 60 s and when a queued job or a claim pokes them (SPEC section 4).
      pools = startServePools({ store, source: stored.poolSource, now, logger });
      lagTimer = setInterval(() => {
        stored.lag().then(
          (lag) => lag !== null && metrics.consumerLag.set(lag),
          () => undefined,
        );
      }, LAG_SAMPLE_MS).unref();
      if (vanished.length > 0)
        logger.warn({ machines: vanished }, 'machines the cloud no longer knows; their jobs are re-dispatched');
      state = 'ready';
      logger.info(
        { port, store: stored.description, compute: config.compute, bus: config.bus, resumed },
        'runs-fleet serve is ready',
      );

      return { cloud, bus };
    } catch (error) {
      await bus?.close();
      cloud.close();
      throw error;
    }
  };
  const { cloud, bus } = await wire().catch(async (error: unknown) => {
    await app.close();
    await stored.stop();
    await stored.close();
    throw error;
  });

  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    models: stored.models,
    metrics,
    sim: cloud.sim,
    close: () =>
      (closing ??= (async () => {
        state = 'draining';
        clearInterval(lagTimer);
        await pools?.stop();
        await housekeeping?.stop();
        // SQS: the worker takes nothing new from now on; its long poll may take up to 20 s to end.
        const stoppedWorking = bus.stopWorking();
        await app.close();
        await withTimeout(bus.idle(), DRAIN_TIMEOUT_MS);
        await stored.stop();
        await withTimeout(stoppedWorking, WORKER_STOP_TIMEOUT_MS);
        await bus.close();
        cloud.close();
        await stored.close();
        logger.info('runs-fleet serve stopped');
      })()),
  };
};
