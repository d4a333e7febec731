import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { collectRaw, formatProblems, loadConfig, settingsHelp } from '../serve/config.js';
import { startService } from '../serve/service.js';
import { SETTINGS, type SettingKey } from '../serve/settings.js';
import { createLogger } from '../observability/logger.js';

/**
 * `runs-fleet serve` (what `npm start` runs): webhooks in, runners out. Flags mirror the settings table; `--help`
 * lists every setting with its variable, default and allowed values. Runs until SIGINT or SIGTERM, then drains.
 */
export interface ServeIo {
  readonly stderr: (text: string) => void;
  readonly setExitCode: (code: number) => void;
}

const camel = (flag: string): string =>
  flag
    .replace(/^--/, '')
    .split(' ')[0]!
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export const registerServeCommand = (program: Command, io: ServeIo): void => {
  const command = program
    .command('serve')
    .description('run the orchestrator: webhook endpoint, stream consumer, command workers, read API')
    .addHelpText('after', `\nSettings (flags win over environment variables):\n${settingsHelp()}\n`);
  for (const setting of SETTINGS) {
    if ('flag' in setting) command.option(setting.flag, setting.description);
  }
  command.action(async (options: Record<string, string | boolean>) => {
    const flags: Partial<Record<SettingKey, string>> = {};
    for (const setting of SETTINGS) {
      if (!('flag' in setting)) continue;
      const value = options[camel(setting.flag)];
      if (value !== undefined) flags[setting.key] = String(value);
    }
    const config = loadConfig(collectRaw(process.env, flags));
    if (E.isLeft(config)) {
      io.stderr(`${formatProblems(config.left)}\n`);
      io.setExitCode(2);

      return;
    }
    const logger = createLogger({ level: config.right.logLevel });
    const service = await startService(config.right, logger);
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'draining');
        void service.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
};
