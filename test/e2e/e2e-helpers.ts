import { Webhooks } from '@octokit/webhooks';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { examplePayload } from '../http/payloads.js';

/**
 * What the end-to-end suites share: real `workflow_job` payloads (from @octokit/webhooks-examples, relabelled for
 * runs-fleet), signing and posting them over HTTP, polling the read API with a deadline, reading Prometheus text, and
 * running the `runs-fleet` CLI from source as a child process.
 */
export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI_ENTRY = join(import.meta.dirname, 'cli-entry.ts');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A real queued/in_progress/completed payload for job `id`, labelled `runs-fleet=<runId>/<spec>`. */
export const jobPayload = (
  action: 'queued' | 'in_progress' | 'completed',
  id: number,
  options: { spec?: string; labels?: string[]; runId?: number; fields?: Record<string, unknown> } = {},
) => {
  const runId = options.runId ?? id + 1;
  const labels = options.labels ?? [`runs-fleet=${String(runId)}/${options.spec ?? 'cpu=2/arch=arm64'}`];

  return examplePayload(action, { id, run_id: runId, labels, ...options.fields });
};

export interface Poster {
  readonly post: (
    payload: unknown,
    deliveryId: string,
    event?: string,
  ) => Promise<{ readonly status: number; readonly body: unknown }>;
}

export const webhookPoster = (url: string, secret: string): Poster => {
  const webhooks = new Webhooks({ secret });

  return {
    post: async (payload, deliveryId, event = 'workflow_job') => {
      const body = JSON.stringify(payload);
      const response = await fetch(`${url}/webhook`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          'x-github-delivery': deliveryId,
          'x-hub-signature-256': await webhooks.sign(body),
        },
      });
      const text = await response.text();

      return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
    },
  };
};

export interface JobAnswer {
  readonly id: string;
  readonly status: string;
  readonly conclusion: string | null;
  readonly machineId: string | null;
  readonly rejection: { readonly code: string; readonly message: string } | null;
  readonly requeues: ReadonlyArray<{ readonly reason: string }>;
  readonly events: ReadonlyArray<{ readonly type: string; readonly version: number; readonly deliveryId?: string }>;
}

export const getJson = async <T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
  const response = await fetch(url, init);

  return { status: response.status, body: (await response.json()) as T };
};

/** Polls `read` until `done` holds or the deadline passes; returns the last value either way. */
export const pollUntil = async <T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(intervalMs);
  }
};

export const TERMINAL = new Set(['completed', 'cancelled', 'rejected', 'failed']);

export const waitForJob = async (
  url: string,
  jobId: string | number,
  done: (job: JobAnswer | null) => boolean,
  timeoutMs: number,
): Promise<JobAnswer | null> =>
  pollUntil(
    async () => {
      const response = await fetch(`${url}/api/jobs/${String(jobId)}`);

      return response.status === 200 ? ((await response.json()) as JobAnswer) : null;
    },
    done,
    timeoutMs,
  );

/** The value of one sample of a Prometheus text exposition (0 when absent). */
export const metricValue = (text: string, name: string, labels: Record<string, string>): number => {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const braces = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const present = braces === '' ? [] : braces.split(',');
    if (wanted.every((w) => present.includes(w)) && present.length === wanted.length)
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  return 0;
};

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

export interface CliChild {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** This process's environment without any RUNS_FLEET_ setting, so that a child sees only the settings a test gives. */
const hermeticEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RUNS_FLEET_')));

/** `runs-fleet <args>` from source (node --import tsx), stdout and stderr collected together. */
export const spawnCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): CliChild => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
    cwd: ROOT,
    env: { ...hermeticEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  return { child, output: () => output, exited };
};
