import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Random } from '../adapters/sim/index.js';
import type { WebhookFaultRates } from './options.js';

/**
 * GitHub's webhook sender, as the soak distorts it: the simulated GitHub posts every `workflow_job` delivery here; the
 * relay takes it (202 at once) and delivers it to one of the live orchestrators, some deliveries twice (a
 * redelivery, the same X-GitHub-Delivery), some held back (so deliveries arrive re-ordered, a job's `completed`
 * before its `queued`), and retries on a refused connection (a killed orchestrator), a 5xx or a 429 until some
 * orchestrator answers 2xx. It is the load generator's record kept OUTSIDE the service: which deliveries were
 * acknowledged, and when each job was queued and taken by a runner (time-to-runner).
 */
export interface JobTrace {
  readonly jobId: string;
  readonly labels: ReadonlyArray<string>;
  /** When the relay first heard of the job (ms since the epoch), and of its `in_progress`. */
  queuedAt: number | null;
  inProgressAt: number | null;
  /** Deliveries of this job an orchestrator acknowledged with 2xx, by action. */
  readonly acked: Set<string>;
}

export interface RelayCounters {
  received: number;
  deliveries: number;
  acknowledged: number;
  duplicated: number;
  delayed: number;
  retried: number;
  /** Answered 408 (the service did not receive the request in time): retried, but GitHub would not retry. */
  timedOut: number;
  /** A 4xx other than 429: the service refused a genuine delivery (never expected). */
  refused: number;
  /** Gave up after the delivery deadline: never acknowledged. */
  undelivered: number;
}

export interface WebhookRelay {
  readonly url: string;
  readonly jobs: ReadonlyMap<string, JobTrace>;
  readonly counters: Readonly<RelayCounters>;
  /** Deliveries the service refused (a 4xx other than 408 and 429), for the report. */
  readonly refusals: ReadonlyArray<string>;
  inFlight(): number;
  close(): Promise<void>;
}

interface Received {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  readonly jobId: string;
  readonly action: string;
}

const DELIVERY_DEADLINE_MS = 10 * 60_000;
const ATTEMPT_TIMEOUT_MS = 15_000;
const FORWARDED = ['content-type', 'user-agent', 'x-github-event', 'x-github-delivery', 'x-hub-signature-256'];
/** A request timeout and a rate limit are worth another try; other 4xx are refusals. */
const RETRIED_4XX = new Set([408, 429]);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

const parse = (body: Buffer, request: IncomingMessage): Received & { readonly labels: string[] } => {
  const payload = JSON.parse(body.toString('utf8')) as {
    action?: string;
    workflow_job?: { id?: number; labels?: string[] };
  };
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }

  return {
    body,
    headers,
    jobId: String(payload.workflow_job?.id ?? ''),
    action: payload.action ?? '',
    labels: payload.workflow_job?.labels ?? [],
  };
};

export const startWebhookRelay = async (options: {
  readonly random: Random;
  readonly rates: WebhookFaultRates;
  readonly targets: () => ReadonlyArray<string>;
}): Promise<WebhookRelay> => {
  const { random, rates } = options;
  const jobs = new Map<string, JobTrace>();
  const counters: RelayCounters = {
    received: 0,
    deliveries: 0,
    acknowledged: 0,
    duplicated: 0,
    delayed: 0,
    retried: 0,
    timedOut: 0,
    refused: 0,
    undelivered: 0,
  };
  const refusals: string[] = [];
  let pending = 0;
  let turn = 0;

  const attempt = async (received: Received): Promise<number | null> => {
    const targets = options.targets();
    const target = targets[turn++ % Math.max(1, targets.length)];
    if (target === undefined) return null;
    try {
      const response = await fetch(`${target}/webhook`, {
        method: 'POST',
        headers: received.headers,
        body: received.body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      await response.arrayBuffer().catch(() => undefined);

      return response.status;
    } catch {
      return null;
    }
  };

  const deliver = async (received: Received, holdMs: number): Promise<void> => {
    await sleep(holdMs);
    counters.deliveries += 1;
    const deadline = Date.now() + DELIVERY_DEADLINE_MS;
    for (let n = 0; Date.now() < deadline; n += 1) {
      const status = await attempt(received);
      if (status !== null && status >= 200 && status < 300) {
        counters.acknowledged += 1;
        jobs.get(received.jobId)?.acked.add(received.action);

        return;
      }
      if (status !== null && status >= 400 && status < 500 && !RETRIED_4XX.has(status)) {
        counters.refused += 1;
        refusals.push(`${received.action} of job ${received.jobId}: ${String(status)}`);

        return;
      }
      counters.retried += 1;
      if (status === 408) counters.timedOut += 1;
      await sleep(Math.min(3_000, 50 * 2 ** Math.min(n, 8)));
    }
    counters.undelivered += 1;
  };

  const track = (received: Received & { readonly labels: string[] }): void => {
    const now = Date.now();
    const trace = jobs.get(received.jobId) ?? {
      jobId: received.jobId,
      labels: received.labels,
      queuedAt: null,
      inProgressAt: null,
      acked: new Set<string>(),
    };
    if (received.action === 'queued') trace.queuedAt ??= now;
    if (received.action === 'in_progress') trace.inProgressAt ??= now;
    jobs.set(received.jobId, trace);
  };

  const schedule = (received: Received, holdMs: number): void => {
    pending += 1;
    void deliver(received, holdMs).finally(() => (pending -= 1));
  };

  const take = (received: Received & { readonly labels: string[] }): void => {
    counters.received += 1;
    track(received);
    const held = random() < rates.delay;
    if (held) counters.delayed += 1;
    schedule(received, held ? Math.round(random() * rates.maxDelayMs) : 0);
    if (random() < rates.duplicate) {
      counters.duplicated += 1;
      schedule(received, 50 + Math.round(random() * rates.maxDelayMs));
    }
  };

  const server: Server = createServer((request, response) => {
    readBody(request).then(
      (body) => {
        take(parse(body, request));
        response.writeHead(202).end();
      },
      () => response.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    jobs,
    counters,
    refusals,
    inFlight: () => pending,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
