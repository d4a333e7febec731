import { Webhooks } from '@octokit/webhooks';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { createLogger } from '../../handlers/observability/logger.js';
import { collectRaw, loadConfig } from '../../handlers/serve/config.js';
import { startService, type RunningService } from '../../handlers/serve/service.js';
import { metricValue } from '../e2e/e2e-helpers.js';

/**
 * The real embedded service (`startService`: SQLite store in a temporary data folder, in-process bus, simulated cloud
 * and GitHub) as an attacker meets it: on a real socket, configured through the same `loadConfig(collectRaw(…))` as
 * `runs-fleet serve`, every log line captured at trace level (the most the service ever says) for scanning.
 */
export const SECRET = 'security-webhook-secret-3b9d0f6a1c';
export const API_TOKEN = 'security-api-token-8e51c27d94fa';

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

export interface StoredRow {
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  /** The stored JSON text of the event's data and metadata. */
  readonly data: string;
  readonly metadata: string;
}

export interface SecureService {
  readonly service: RunningService;
  readonly url: string;
  readonly dataDir: string;
  /** Every log line so far, as written (one JSON object per line). */
  logText(): string;
  /** POSTs raw bytes to /webhook with exactly these headers. */
  postRaw(body: string | Buffer, headers: Record<string, string>): Promise<Answer>;
  /** A correctly signed `workflow_job` (or other) delivery. */
  postSigned(payload: unknown, deliveryId: string, event?: string): Promise<Answer>;
  /** Every event row of the store, whatever its stream, read through a second (read-only) connection. */
  allEvents(): ReadonlyArray<StoredRow>;
  /** A sample of the service's own Prometheus counters. */
  metric(name: string, labels: Record<string, string>): Promise<number>;
  /** Stops the service; `keepData` leaves the data folder for a restart on it. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export const signatureOf = (body: string, secret = SECRET): Promise<string> => new Webhooks({ secret }).sign(body);

export const webhookHeaders = (deliveryId: string, event = 'workflow_job'): Record<string, string> => ({
  'content-type': 'application/json',
  'x-github-event': event,
  'x-github-delivery': deliveryId,
});

const answerOf = async (response: Response): Promise<Answer> => {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON (Prometheus text): kept as text.
  }

  return { status: response.status, body };
};

export const startSecureService = async (
  settings: Record<string, string> = {},
  options: { dataDir?: string; host?: string } = {},
): Promise<SecureService> => {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'runs-fleet-security-'));
  const config = loadConfig(
    collectRaw(
      {
        RUNS_FLEET_WEBHOOK_SECRET: SECRET,
        RUNS_FLEET_API_TOKEN: API_TOKEN,
        RUNS_FLEET_SIM_BOOT_DELAY_MS: '100',
        RUNS_FLEET_SIM_JOB_DURATION_MS: '200',
        RUNS_FLEET_SIM_SEED: '7',
        ...settings,
      },
      { port: '0', host: options.host ?? '127.0.0.1', dataDir, logLevel: 'trace' },
    ),
  );
  if (E.isLeft(config)) throw new Error(JSON.stringify(config.left));
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) });
  const service = await startService(config.right, createLogger({ level: 'trace', destination }));
  const postRaw = async (body: string | Buffer, headers: Record<string, string>) =>
    answerOf(await fetch(`${service.url}/webhook`, { method: 'POST', body, headers }));

  return {
    service,
    url: service.url,
    dataDir,
    logText: () => lines.join(''),
    postRaw,
    postSigned: async (payload, deliveryId, event = 'workflow_job') => {
      const body = JSON.stringify(payload);

      return postRaw(body, { ...webhookHeaders(deliveryId, event), 'x-hub-signature-256': await signatureOf(body) });
    },
    allEvents: () => {
      const db = new Database(join(dataDir, 'events.db'), { readonly: true });
      try {
        return db
          .prepare('SELECT stream_id AS streamId, version, type, data, metadata FROM events ORDER BY position')
          .all() as StoredRow[];
      } finally {
        db.close();
      }
    },
    metric: async (name, labels) => metricValue(await (await fetch(`${service.url}/metrics`)).text(), name, labels),
    close: async ({ keepData = false } = {}) => {
      try {
        await service.close();
      } finally {
        if (!keepData) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
};

/** GET a path of the service as JSON (or text), with optional headers. */
export const get = async (url: string, headers: Record<string, string> = {}): Promise<Answer> =>
  answerOf(await fetch(url, { headers }));
