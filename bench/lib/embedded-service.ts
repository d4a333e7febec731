/**
 * The real embedded service (`runs-fleet serve`: SQLite events and views, feed consumer, pipeline, in-process bus,
 * simulated cloud and GitHub, fastify) on a temporary data folder and a free loopback port, configured through the
 * same `loadConfig(collectRaw(…))` as the CLI. The simulated machines take 10 minutes to boot, so none boots, asks for
 * work or churns the CPU while a benchmark runs. Logs are made (info level, as in production) and thrown away.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as E from 'fp-ts/lib/Either.js';
import { createLogger, type Logger } from '../../handlers/observability/logger.js';
import { collectRaw, formatProblems, loadConfig } from '../../handlers/serve/config.js';
import { startService, type RunningService, type ServiceOptions } from '../../handlers/serve/service.js';

export const BENCH_WEBHOOK_SECRET = 'bench-webhook-secret-5d2c9e1f';
const BOOT_DELAY_MS = 600_000;

/** A production logger (pino, redaction, info level unless told) whose lines are made and thrown away. */
export const discardingLogger = (level = 'info'): Logger =>
  createLogger({ level, destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });

export interface EmbeddedService {
  readonly service: RunningService;
  readonly webhookUrl: string;
  readonly secret: string;
  /** Jobs the read models know (the consumer has applied their first event). */
  jobCount(): number;
  close(): Promise<void>;
}

export const startEmbeddedService = async (options: ServiceOptions = {}): Promise<EmbeddedService> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runs-fleet-bench-serve-'));
  const config = loadConfig(
    // No environment: the machine's RUNS_FLEET_* variables must not change what is measured.
    collectRaw(
      {},
      {
        dataDir,
        host: '127.0.0.1',
        port: '0',
        webhookSecret: BENCH_WEBHOOK_SECRET,
        simBootDelayMs: String(BOOT_DELAY_MS),
        logLevel: 'info',
      },
    ),
  );
  if (E.isLeft(config)) throw new Error(formatProblems(config.left));
  const logger = discardingLogger(config.right.logLevel);
  const service = await startService(config.right, logger, options);

  return {
    service,
    webhookUrl: `${service.url}/webhook`,
    secret: BENCH_WEBHOOK_SECRET,
    jobCount: () => {
      let n = 0;
      for (const _ of service.models.jobIds()) n++;

      return n;
    },
    close: async () => {
      try {
        await service.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
};
