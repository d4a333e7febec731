import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { runDemo } from '../demo/run-demo.js';
import { findWebhookSecret } from '../serve/webhook-secret.js';
import { createLogger } from '../observability/logger.js';
import { collectRaw, formatProblems, loadConfig } from '../serve/config.js';
import { startService } from '../serve/service.js';

/**
 * `runs-fleet demo`: a newcomer's first five minutes. Uses the service at --url, or, when nothing answers there,
 * starts one in this process on the embedded default (simulated cloud, simulated GitHub) with short delays.
 */
export interface DemoIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly setExitCode: (code: number) => void;
}

const answers = async (url: string): Promise<boolean> =>
  fetch(`${url}/healthz`).then(
    (response) => response.ok,
    () => false,
  );

export const registerDemoCommand = (program: Command, io: DemoIo): void => {
  program
    .command('demo')
    .description('send a small workload of signed webhooks and watch the jobs go from queued to completed')
    .option(
      '--url <url>',
      'the service to use; one is started in this process if nothing answers',
      'http://127.0.0.1:8080',
    )
    .option('--data-dir <dir>', 'where the service keeps its webhook secret', './.runs-fleet')
    .option('--timeout <seconds>', 'give up after this long', '120')
    .action(async (options: { url: string; dataDir: string; timeout: string }) => {
      const print = (line: string) => io.stdout(`${line}\n`);
      let close = async (): Promise<void> => undefined;
      let url = options.url.replace(/\/$/, '');
      if (!(await answers(url))) {
        const port = new URL(url).port || '8080';
        const raw = collectRaw(
          { RUNS_FLEET_SIM_BOOT_DELAY_MS: '1000', RUNS_FLEET_SIM_JOB_DURATION_MS: '2000', ...process.env },
          { port, dataDir: options.dataDir, host: '127.0.0.1' },
        );
        const config = loadConfig(raw);
        if (E.isLeft(config)) {
          io.stderr(`${formatProblems(config.left)}\n`);
          io.setExitCode(2);

          return;
        }
        print(
          `no service answers at ${url}; starting one in this process (simulated cloud and GitHub, data in ${options.dataDir})`,
        );
        const service = await startService(config.right, createLogger({ level: 'warn', destination: process.stderr }));
        url = service.url;
        close = service.close;
      }
      // The same settings `serve` reads: RUNS_FLEET_WEBHOOK_SECRET (or its Go name), RUNS_FLEET_WEBHOOK_SECRET_FILE, or
      // the file the service generated in its data folder.
      const settings = loadConfig(collectRaw(process.env, { dataDir: options.dataDir }));
      const secret = E.isLeft(settings)
        ? null
        : await findWebhookSecret(settings.right.webhookSecret, settings.right.webhookSecretFile, options.dataDir);
      if (secret === null) {
        io.stderr(
          "no webhook secret: set RUNS_FLEET_WEBHOOK_SECRET (or RUNS_FLEET_WEBHOOK_SECRET_FILE), or point --data-dir at the service's data folder\n",
        );
        io.setExitCode(2);
        await close();

        return;
      }
      const ok = await runDemo({ url, secret, timeoutMs: Number(options.timeout) * 1000, print });
      await close();
      io.setExitCode(ok ? 0 : 1);
    });
};
