/**
 * Drives `webhook-load.worker.ts`: signed `workflow_job` queued webhooks POSTed open loop at a fixed rate from a
 * worker thread (its own event loop, so the sender's work is not charged to the service), keep-alive connections.
 * Times are on `sharedClockMs` (latency.ts), comparable with what the service's thread observes.
 */
import { Worker } from 'node:worker_threads';

export interface LoadRequest {
  readonly url: string;
  readonly secret: string;
  /** Webhooks per second, offered on schedule. */
  readonly rate: number;
  readonly seconds: number;
  /** Job ids firstJobId, firstJobId + 1, … (each webhook its own job). */
  readonly firstJobId: number;
  /** Prefix of the delivery ids. */
  readonly tag: string;
  /** How long to wait for the last answers once everything was sent. */
  readonly answerTimeoutMs: number;
}

export interface LoadResult {
  readonly tag: string;
  readonly firstJobId: number;
  /** Webhooks per second actually sent (the sender's own lateness shows here and in lateMs). */
  readonly offeredRate: number;
  /** Per webhook i (job firstJobId + i): when it was sent (sharedClockMs), the ms to its answer (NaN: none). */
  readonly sentAt: Float64Array;
  readonly ackMs: Float64Array;
  /** HTTP status; -1 for a connection error, 0 for no answer in time. */
  readonly status: Int32Array;
  /** How late after its scheduled time each webhook left (a busy sender thread). */
  readonly lateMs: Float64Array;
}

export interface WebhookLoad {
  run(request: LoadRequest): Promise<LoadResult>;
  close(): Promise<void>;
}

type Reply = { readonly ok: true; readonly result: LoadResult } | { readonly ok: false; readonly error: string };

/** Starts the sender thread (it loads its TypeScript through tsx, which worker threads do not inherit). */
export const startWebhookLoad = async (): Promise<WebhookLoad> => {
  const entry = new URL('./webhook-load.worker.ts', import.meta.url).href;
  const worker = new Worker(
    `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true },
  );
  let failed: unknown;
  worker.on('error', (error) => void (failed = error));
  // One run at a time.
  let queue: Promise<unknown> = Promise.resolve();

  return {
    run: (request) => {
      const next = queue.then(
        () =>
          new Promise<LoadResult>((resolve, reject) => {
            if (failed !== undefined) return reject(failed instanceof Error ? failed : new Error(String(failed)));
            const onError = (error: Error): void => reject(error);
            worker.once('error', onError);
            worker.once('message', (reply: Reply) => {
              worker.off('error', onError);
              if (reply.ok) resolve(reply.result);
              else reject(new Error(`webhook sender: ${reply.error}`));
            });
            worker.postMessage(request);
          }),
      );
      queue = next.catch(() => undefined);

      return next;
    },
    close: async () => {
      await worker.terminate();
    },
  };
};

/** The answered webhooks' ack times, and how many got anything but a 2xx. */
export const acks = (result: LoadResult): { readonly ms: number[]; readonly failed: number } => {
  const ms: number[] = [];
  let failed = 0;
  result.status.forEach((code, i) => {
    if (code >= 200 && code < 300) ms.push(result.ackMs[i] ?? Number.NaN);
    else failed++;
  });

  return { ms, failed };
};
