import { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import { createSqsCommandBus, createSqsWorker } from '../../adapters/bus-sqs/index.js';
import type { CommandType } from '../../domain/commands/commands.js';
import type { CommandBus, CommandExecutor } from '../../domain/ports/command-bus.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * The command bus of `runs-fleet serve` (`--bus`): in this process (the embedded default), or the SQS FIFO command
 * queue that every replica sends to and works from (SPEC section 9: visibility 120 s, long poll 20 s, 5 messages at
 * once). Either way the executors run in this process; on SQS a command may run in any replica.
 */
export interface BusComposition {
  readonly bus: CommandBus;
  /** Starts working commands (SQS: the worker's long poll). */
  start(): void;
  /**
   * Stops taking new commands; resolves when the ones this process took are done or handed back (in-process: at once,
   * `idle` waits for them; SQS: once the long poll in progress has ended, up to 20 s).
   */
  stopWorking(): Promise<void>;
  /** Resolves when no command dispatched here is running or waiting for a retry (SQS: at once; the queue keeps them). */
  idle(): Promise<void>;
  /** Releases the clients; call after the consumer has stopped dispatching. */
  close(): Promise<void>;
}

export interface BusDeps {
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The region when the queue URL names none (an emulator): the store's, else AWS_REGION, else us-east-1. */
  readonly region: string | undefined;
}

type Executors = Partial<Record<CommandType, CommandExecutor>>;

export const SQS_WORKER_SETTINGS = { visibilityTimeoutSeconds: 120, waitTimeSeconds: 20, maxConcurrent: 5 } as const;

const inProcess = (executors: Executors, deps: BusDeps): BusComposition => {
  const { metrics, logger } = deps;
  const bus = createInProcessBus(executors, {
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

  return {
    bus,
    start: () => undefined,
    stopWorking: async () => undefined,
    idle: () => bus.idle(),
    close: async () => undefined,
  };
};

/** Every executor counted and timed as the in-process bus does (one sample per attempt: SQS owns the retries). */
const instrumented = (executors: Executors, metrics: Metrics): Executors =>
  Object.fromEntries(
    Object.entries(executors).map(([type, executor]): [string, CommandExecutor] => [
      type,
      async (command) => {
        const started = performance.now();
        let outcome: 'ok' | 'failed' = 'failed';
        try {
          await executor(command);
          outcome = 'ok';
        } finally {
          metrics.commands.inc({ type: command.type, outcome });
          metrics.commandSeconds.observe({ type: command.type }, (performance.now() - started) / 1000);
        }
      },
    ]),
  );

/** `https://sqs.eu-west-1.amazonaws.com/…` and the legacy `https://eu-west-1.queue.amazonaws.com/…` name a region. */
export const regionOfQueueUrl = (queueUrl: string): string | undefined =>
  /^(?:sqs\.)?([a-z]{2}(?:-[a-z0-9]+)+)\.(?:queue\.)?amazonaws\.com(?:\.cn)?$/.exec(new URL(queueUrl).hostname)?.[1];

/**
 * The worker's view of the client, whose long poll is never cut short: SQS (and moto) may still hand messages to a
 * receive the client gave up on, and those then stay invisible for the whole visibility timeout (120 s) although no
 * worker runs them. Stopping waits for the poll to end instead (at most `waitTimeSeconds`); the worker releases what
 * it brings back at once, for the other replicas.
 */
const withUncutPolls = (client: SQSClient): SQSClient =>
  new Proxy(client, {
    get: (target, key, receiver): unknown =>
      key === 'send'
        ? (command: Parameters<SQSClient['send']>[0]) => target.send(command)
        : Reflect.get(target, key, receiver),
  });

const sqs = (queueUrl: string, executors: Executors, deps: BusDeps): BusComposition => {
  const region = regionOfQueueUrl(queueUrl);
  // A queue URL that is not AWS's (an emulator) is also the endpoint; on AWS the SDK resolves it from the region.
  const client = new SQSClient(
    region !== undefined
      ? { region }
      : { endpoint: new URL(queueUrl).origin, region: deps.region ?? process.env['AWS_REGION'] ?? 'us-east-1' },
  );
  const worker = createSqsWorker({
    client: withUncutPolls(client),
    queueUrl,
    executors: instrumented(executors, deps.metrics),
    ...SQS_WORKER_SETTINGS,
    logger: deps.logger,
  });
  let stopping: Promise<void> | undefined;
  const stopWorking = () => (stopping ??= worker.stop());

  return {
    bus: createSqsCommandBus({ client, queueUrl }),
    start: () => worker.start(),
    stopWorking,
    idle: async () => undefined,
    close: async () => {
      // Normally stopped already; a worker still polling past the drain timeout is cut here.
      stopWorking().catch((error: unknown) => deps.logger.warn({ err: error }, 'sqs worker did not stop cleanly'));
      client.destroy();
    },
  };
};

export const openBus = (
  config: { readonly bus: 'inprocess' | 'sqs'; readonly queueUrl: string | null },
  executors: Executors,
  deps: BusDeps,
): BusComposition =>
  config.bus === 'sqs' && config.queueUrl !== null ? sqs(config.queueUrl, executors, deps) : inProcess(executors, deps);
