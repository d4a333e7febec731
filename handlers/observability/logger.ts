import { pino, type Logger } from 'pino';

/**
 * pino JSON logs. Secrets never reach a log line: the known secret-bearing fields are redacted wherever they appear,
 * and callers log references (a config ref, a file path), never values.
 */
export const REDACTED_PATHS = [
  'secret',
  'webhookSecret',
  'token',
  'apiToken',
  'privateKey',
  'encodedJitConfig',
  'authorization',
  '*.secret',
  '*.webhookSecret',
  '*.token',
  '*.apiToken',
  '*.privateKey',
  '*.encodedJitConfig',
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
];

export const createLogger = (options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger =>
  pino(
    {
      level: options.level ?? 'info',
      base: { service: 'runs-fleet' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination ?? process.stdout,
  );

export type { Logger };
