/**
 * Webhook acknowledgement against the real embedded service (bench/lib/embedded-service.ts): signed, real-shaped
 * `workflow_job` queued webhooks, each for its own job, POSTed over keep-alive HTTP from a worker thread, open loop
 * (bench/lib/webhook-load.ts). An ack is the 2xx answer, which comes only after the job's events are durably appended
 * (SQLite synchronous=FULL, group commit); the feed consumer, pipeline, bus and simulated cloud run meanwhile in the
 * same process, as in `serve`.
 *
 * - webhook.ack.p50 / p99: ms from sending to the answer, at ACK_RATE webhooks/s for ACK_SECONDS (after a warm-up).
 * - webhook.max_rate: the offered rate is stepped up (STEPS, STEP_SECONDS each, letting the service catch up between
 *   steps); the last rate whose ack p99 stayed under 100 ms with every webhook answered 2xx.
 * Extras: the p99 at that rate, the first rate that failed and its p99, and the sender's own lateness (a check that
 * the open loop held).
 */
import { WEBHOOK_ACK_P50, WEBHOOK_ACK_P99, WEBHOOK_MAX_RATE } from './lib/metric-names.js';
import { startEmbeddedService, type EmbeddedService } from './lib/embedded-service.js';
import { describe, loadAverage, progress, round, summarise, waitUntil } from './lib/latency.js';
import { acks, startWebhookLoad, type LoadResult, type WebhookLoad } from './lib/webhook-load.js';
import type { Benchmark, Metric } from './lib/types.js';

const ACK_RATE = 200;
const ACK_SECONDS = 10;
const WARMUP_SECONDS = 2;
const STEPS = [100, 200, 400, 800, 1200, 1600, 2400, 3200];
const STEP_SECONDS = 5;
const MAX_P99_MS = 100;
const CATCH_UP_MS = 15_000;
const ANSWER_TIMEOUT_MS = 15_000;

const log = progress('webhook');

type Offer = (rate: number, seconds: number, tag: string) => Promise<LoadResult>;

/** Each offer runs `rate` × `seconds` webhooks, then waits until the consumer has applied every recorded job. */
const offering = (embedded: EmbeddedService, load: WebhookLoad): Offer => {
  let jobId = 1_000_000;
  let recorded = 0;

  return async (rate, seconds, tag) => {
    const result = await load.run({
      url: embedded.webhookUrl,
      secret: embedded.secret,
      rate,
      seconds,
      firstJobId: jobId,
      tag,
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
    });
    jobId += result.status.length;
    recorded += result.status.filter((code) => code === 200).length;
    const caughtUp = await waitUntil(() => embedded.jobCount() >= recorded, CATCH_UP_MS);
    if (!caughtUp) log(`! the consumer had not caught up ${CATCH_UP_MS} ms after the ${rate}/s run`);

    return result;
  };
};

const lateness = (result: LoadResult): number => summarise(result.lateMs).p99;

const ackLatency = async (offer: Offer): Promise<Metric[]> => {
  await offer(ACK_RATE, WARMUP_SECONDS, 'warmup');
  const steady = await offer(ACK_RATE, ACK_SECONDS, 'ack');
  const { ms, failed } = acks(steady);
  if (failed > 0) throw new Error(`${failed} of ${steady.status.length} webhooks were not answered 2xx`);
  const ack = summarise(ms);
  log(
    `ack at ${ACK_RATE}/s (offered ${steady.offeredRate.toFixed(0)}/s): ${describe(ack)}; ` +
      `sender lateness p99 ${lateness(steady).toFixed(2)} ms; load average ${await loadAverage()}`,
  );

  return [
    { name: WEBHOOK_ACK_P50, value: round(ack.p50), unit: 'ms' },
    { name: WEBHOOK_ACK_P99, value: round(ack.p99), unit: 'ms' },
    { name: 'webhook.ack.max', value: round(ack.max), unit: 'ms' },
    { name: 'webhook.ack.offered_rate', value: round(steady.offeredRate, 0), unit: 'webhooks/s' },
  ];
};

interface Step {
  readonly rate: number;
  readonly p99: number;
  readonly ok: boolean;
}

const step = async (offer: Offer, rate: number): Promise<Step> => {
  const result = await offer(rate, STEP_SECONDS, `step-${rate}`);
  const answered = acks(result);
  const p99 = answered.ms.length > 0 ? summarise(answered.ms).p99 : Number.POSITIVE_INFINITY;
  log(
    `step ${rate}/s (offered ${result.offeredRate.toFixed(0)}/s): p99 ${p99.toFixed(1)} ms, ` +
      `${answered.failed} not 2xx, sender lateness p99 ${lateness(result).toFixed(2)} ms; ` +
      `load average ${await loadAverage()}`,
  );

  return { rate, p99, ok: answered.failed === 0 && p99 <= MAX_P99_MS };
};

const maxRate = async (offer: Offer): Promise<Metric[]> => {
  let best: Step | undefined;
  let failed: Step | undefined;
  for (const rate of STEPS) {
    const outcome = await step(offer, rate);
    if (!outcome.ok) {
      failed = outcome;
      break;
    }
    best = outcome;
  }

  return [
    { name: WEBHOOK_MAX_RATE, value: best?.rate ?? 0, unit: 'webhooks/s' },
    ...(best === undefined ? [] : [{ name: 'webhook.max_rate.ack_p99', value: round(best.p99), unit: 'ms' }]),
    ...(failed === undefined
      ? []
      : [
          { name: 'webhook.max_rate.first_failing_rate', value: failed.rate, unit: 'webhooks/s' },
          {
            name: 'webhook.max_rate.first_failing_ack_p99',
            value: Number.isFinite(failed.p99) ? round(failed.p99) : -1,
            unit: 'ms',
          },
        ]),
  ];
};

const run = async (): Promise<ReadonlyArray<Metric>> => {
  const embedded = await startEmbeddedService();
  const load = await startWebhookLoad();
  try {
    log(`service on ${embedded.service.url}; load average ${await loadAverage()}`);
    const offer = offering(embedded, load);
    const ack = await ackLatency(offer);

    return [...ack, ...(await maxRate(offer))];
  } finally {
    await load.close();
    await embedded.close();
  }
};

export const benchmarks: Benchmark[] = [{ name: 'webhook.ack', run }];
