import { createWriteStream } from 'node:fs';
import { createSimCloudServer, createSimGithub } from '../adapters/sim/index.js';
import { createDynamoDbEventStore } from '../adapters/store-dynamodb/index.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLogger } from '../handlers/observability/logger.js';
import { createObservationRecorder } from '../handlers/serve/record-observation.js';
import type { SimCloudTimings } from './options.js';

/**
 * The soak's shared simulated cloud, as `runs-fleet sim-cloud` runs it (adapters/sim/http), in its own process: the
 * machines of every orchestrator, the simulated parameter store, and the simulated GitHub, whose webhooks go to the
 * driver's relay (which distorts and forwards them). Its machines' lifecycle is appended to the shared DynamoDB
 * store by this process. Unlike AWS it ignores ClientToken, as the emulators do: only the executors' commandId
 * lookup stands between a crash after a launch and a second machine. Prints `SOAK-READY <url>` once listening.
 */
export interface SimCloudArgs {
  readonly seed: number;
  readonly table: string;
  readonly endpoint: string;
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  readonly timings: SimCloudTimings;
  readonly logPath: string;
}

export const runSimCloud = async (args: SimCloudArgs): Promise<void> => {
  const logger = createLogger({ level: 'warn', destination: createWriteStream(args.logPath, { flags: 'a' }) });
  const client = new DynamoDBClient({ endpoint: args.endpoint, region: 'us-east-1' });
  const store = createDynamoDbEventStore({ client, tableName: args.table });
  const { timings } = args;
  const server = createSimCloudServer({
    logger,
    report: createObservationRecorder(store, () => new Date().toISOString()),
    github: createSimGithub({
      webhookUrl: args.webhookUrl,
      webhookSecret: args.webhookSecret,
      seed: args.seed + 1,
      logger,
      // The relay answers at once and delivers on its own; this only covers the relay being slow to start.
      redelivery: { attempts: 10, baseMs: 200, maxMs: 5_000 },
    }),
    seed: args.seed,
    ...timings,
    ignoreClientToken: true,
    // Lifecycle reports must not be dropped while DynamoDB Local is busy: a dropped report is a stuck machine.
    reportRetry: { attempts: 12, baseMs: 200 },
  });
  const url = await server.listen(0);
  process.stdout.write(`SOAK-READY ${url}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await server.close();
  client.destroy();
};
