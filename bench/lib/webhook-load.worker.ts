/**
 * The webhook sender of the HTTP benchmarks, in a worker thread so that making requests does not share the event loop
 * of the service being measured. Open loop: request i leaves at start + i / rate whatever became of the earlier ones,
 * over keep-alive connections. Bodies are real `workflow_job` queued payloads (test/http/payloads.ts), each with its
 * own job id, signed with @octokit/webhooks before the clock starts. Started by `webhook-load.ts`.
 */
import { Agent, request } from 'node:http';
import { parentPort } from 'node:worker_threads';
import { Webhooks } from '@octokit/webhooks';
import { examplePayload } from '../../test/http/payloads.js';
import type { LoadRequest, LoadResult } from './webhook-load.js';

const port = parentPort;
if (port === null) throw new Error('webhook-load.worker.ts runs in a worker thread');

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const agent = new Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 512 });

interface Prepared {
  readonly body: Buffer;
  readonly headers: Record<string, string | number>;
}

const prepare = async (job: LoadRequest): Promise<Prepared[]> => {
  const webhooks = new Webhooks({ secret: job.secret });
  const total = Math.round(job.rate * job.seconds);

  return Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const jobId = job.firstJobId + i;
      const payload = examplePayload('queued', { id: jobId, run_id: 5_000_000_000 + jobId, run_attempt: 1 });
      const text = JSON.stringify(payload);

      return {
        body: Buffer.from(text),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          'x-github-event': 'workflow_job',
          'x-github-delivery': `${job.tag}-${jobId}`,
          'x-hub-signature-256': await webhooks.sign(text),
        },
      };
    }),
  );
};

const run = async (job: LoadRequest): Promise<LoadResult> => {
  const url = new URL(job.url);
  const prepared = await prepare(job);
  const total = prepared.length;
  const sentAt = new Float64Array(total);
  const ackMs = new Float64Array(total).fill(Number.NaN);
  const status = new Int32Array(total);
  const lateMs = new Float64Array(total);
  let answered = 0;
  let allAnswered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const finish = (i: number, code: number): void => {
    ackMs[i] = now() - (sentAt[i] ?? 0);
    status[i] = code;
    if (++answered === total) allAnswered();
  };
  const send = (i: number): void => {
    const { body, headers } = prepared[i] as Prepared;
    sentAt[i] = now();
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
      (res) => {
        res.resume();
        res.on('end', () => finish(i, res.statusCode ?? 0));
        res.on('error', () => finish(i, -1));
      },
    );
    req.on('error', () => finish(i, -1));
    req.end(body);
  };

  const start = now() + 20;
  for (let i = 0; i < total;) {
    const wait = start + (i * 1000) / job.rate - now();
    if (wait > 0.5) await sleep(wait - 0.5);
    // Everything due by now leaves at once: a late timer does not slow the offered rate down.
    for (const t = now(); i < total && start + (i * 1000) / job.rate <= t + 0.5; i++) {
      lateMs[i] = Math.max(0, t - (start + (i * 1000) / job.rate));
      send(i);
    }
  }
  const sendingMs = now() - start;
  await Promise.race([done, sleep(job.answerTimeoutMs)]);

  return {
    tag: job.tag,
    firstJobId: job.firstJobId,
    offeredRate: (total * 1000) / Math.max(sendingMs, 1),
    sentAt,
    ackMs,
    status,
    lateMs,
  };
};

port.on('message', (job: LoadRequest) => {
  run(job).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: unknown) => port.postMessage({ ok: false, error: error instanceof Error ? error.stack : String(error) }),
  );
});
