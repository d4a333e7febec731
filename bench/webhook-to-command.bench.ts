/**
 * Webhook → command (DESIGN section 7): ms from sending a signed `workflow_job` queued webhook to the first
 * provisioning command (LaunchMachine or CreateRunnerPod) for its job leaving the decision, i.e. the pipeline's
 * `onCommands`, just before dispatch. Webhooks go open loop from a worker thread over keep-alive HTTP
 * (bench/lib/webhook-load.ts); both ends read the same clock (`sharedClockMs`).
 *
 * - webhook_to_command.p50/p99.embedded: the real embedded service (bench/lib/embedded-service.ts; its optional
 *   `onCommands` observer), EMBEDDED_RATE webhooks/s for EMBEDDED_SECONDS: route → durable SQLite append → change
 *   feed → feed consumer → pipeline → command.
 * - webhook_to_command.p50/p99.dynamodb_local: composed here from the real parts that `serve` on DynamoDB wires: the
 *   fastify server and webhook route (handlers/http/server.ts) → handleWorkflowJob appending to the DynamoDB event
 *   store on DynamoDB Local → the table's stream → the stream poller (5 ms pause after an empty read) → the
 *   view-backed consumer (views table) → pipeline → command (bench/lib/dynamodb-rig.ts). DYNAMODB_RATE webhooks/s for
 *   DYNAMODB_SECONDS, what that path sustains on the emulator (the consumer makes several sequential emulator calls
 *   per record).
 */
import type { AddressInfo } from 'node:net';
import type { Command, ProvisionCommand } from '../domain/commands/commands.js';
import { buildServer } from '../handlers/http/server.js';
import { createMetrics } from '../handlers/observability/metrics.js';
import { handleWorkflowJob } from '../handlers/webhook/handle-workflow-job.js';
import { ReadModels } from '../projections/read-models.js';
import { startDynamoDbRig } from './lib/dynamodb-rig.js';
import { BENCH_WEBHOOK_SECRET, discardingLogger, startEmbeddedService } from './lib/embedded-service.js';
import { describe, loadAverage, progress, round, sharedClockMs, summarise, waitUntil } from './lib/latency.js';
import {
  WEBHOOK_TO_COMMAND_P50_DYNAMODB_LOCAL,
  WEBHOOK_TO_COMMAND_P50_EMBEDDED,
  WEBHOOK_TO_COMMAND_P99_DYNAMODB_LOCAL,
  WEBHOOK_TO_COMMAND_P99_EMBEDDED,
} from './lib/metric-names.js';
import type { Benchmark, Metric } from './lib/types.js';
import { acks, startWebhookLoad, type WebhookLoad } from './lib/webhook-load.js';

const EMBEDDED_SECONDS = 5;
/** 100 samples, so that the p99 is not the maximum. */
const DYNAMODB_SECONDS = 10;
const WARMUP_SECONDS = 1;
const EMBEDDED_RATE = 75;
const DYNAMODB_RATE = 10;
const SETTLE_MS = 15_000;
const POLL_IDLE_MS = 5;

const log = progress('webhook-to-command');

const isProvision = (command: Command): command is ProvisionCommand =>
  command.type === 'LaunchMachine' || command.type === 'CreateRunnerPod';

/** Job id → when its first provisioning command left the decision (sharedClockMs). */
class FirstCommands {
  readonly at = new Map<string, number>();

  readonly observe = (commands: ReadonlyArray<Command>): void => {
    const now = sharedClockMs();
    for (const command of commands) {
      const jobId = isProvision(command) ? command.data.request.jobId : null;
      if (jobId !== null && !this.at.has(jobId)) this.at.set(jobId, now);
    }
  };
}

let nextJobId = 2_000_000;

interface Measured {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly offered: number;
}

/** Warm-up, then the measured run: every webhook must be answered 2xx and get its command within SETTLE_MS. */
const webhooksToCommands = async ({
  load,
  url,
  rate,
  commands,
  label,
  seconds,
}: {
  readonly load: WebhookLoad;
  readonly url: string;
  readonly rate: number;
  readonly commands: FirstCommands;
  readonly label: string;
  readonly seconds: number;
}): Promise<Measured> => {
  const once = async (seconds: number, tag: string) => {
    const result = await load.run({
      url,
      secret: BENCH_WEBHOOK_SECRET,
      rate,
      seconds,
      firstJobId: nextJobId,
      tag,
      answerTimeoutMs: 30_000,
    });
    nextJobId += result.status.length;
    const { failed } = acks(result);
    if (failed > 0) throw new Error(`${label}: ${failed} of ${result.status.length} webhooks were not answered 2xx`);
    const jobIds = Array.from(result.sentAt, (_, i) => String(result.firstJobId + i));
    const all = await waitUntil(() => jobIds.every((id) => commands.at.has(id)), SETTLE_MS);
    if (!all) {
      const missing = jobIds.filter((id) => !commands.at.has(id)).length;
      throw new Error(`${label}: ${missing} jobs had no provisioning command ${SETTLE_MS} ms after their webhook`);
    }

    return { result, jobIds };
  };
  await once(WARMUP_SECONDS, `${label}-warmup`);
  const { result, jobIds } = await once(seconds, label);
  const latencies = jobIds.map((id, i) => (commands.at.get(id) ?? Number.NaN) - (result.sentAt[i] ?? Number.NaN));
  const summary = summarise(latencies);
  log(
    `${label}: ${describe(summary)} at ${result.offeredRate.toFixed(0)} webhooks/s; load average ${await loadAverage()}`,
  );

  return { ...summary, offered: result.offeredRate };
};

const metrics = (p50: string, p99: string, suffix: string, m: Measured): Metric[] => [
  { name: p50, value: round(m.p50), unit: 'ms' },
  { name: p99, value: round(m.p99), unit: 'ms' },
  { name: `webhook_to_command.max.${suffix}`, value: round(m.max), unit: 'ms' },
  { name: `webhook_to_command.offered_rate.${suffix}`, value: round(m.offered, 1), unit: 'webhooks/s' },
];

const embedded = async (): Promise<ReadonlyArray<Metric>> => {
  const commands = new FirstCommands();
  const service = await startEmbeddedService({ onCommands: commands.observe });
  const load = await startWebhookLoad();
  try {
    const m = await webhooksToCommands({
      load,
      url: service.webhookUrl,
      rate: EMBEDDED_RATE,
      commands,
      label: 'embedded',
      seconds: EMBEDDED_SECONDS,
    });

    return metrics(WEBHOOK_TO_COMMAND_P50_EMBEDDED, WEBHOOK_TO_COMMAND_P99_EMBEDDED, 'embedded', m);
  } finally {
    await load.close();
    await service.close();
  }
};

const dynamodb = async (): Promise<ReadonlyArray<Metric>> => {
  const rig = await startDynamoDbRig(log);
  const commands = new FirstCommands();
  const app = buildServer({
    webhook: {
      secret: BENCH_WEBHOOK_SECRET,
      handle: (delivery) =>
        handleWorkflowJob(
          { store: rig.store, aliases: [], allowlist: [], now: () => new Date().toISOString() },
          delivery,
        ),
    },
    api: {
      models: () => new ReadModels({ defaultBackend: 'ec2' }),
      readStream: (id) => rig.store.read(id),
      apiToken: null,
      allowlist: [],
    },
    metrics: createMetrics(false),
    logger: discardingLogger(),
    readiness: () => ({ ready: true, reason: 'bench', quarantined: [] }),
  });
  let consumer: { stop(): Promise<void> } | undefined;
  let load: WebhookLoad | undefined;
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    consumer = await rig.startConsumer({
      mode: 'view-backed',
      idleMs: POLL_IDLE_MS,
      onApplied: () => undefined,
      onCommands: commands.observe,
    });
    load = await startWebhookLoad();
    const m = await webhooksToCommands({
      load,
      url: `http://127.0.0.1:${port}/webhook`,
      rate: DYNAMODB_RATE,
      commands,
      label: 'dynamodb_local',
      seconds: DYNAMODB_SECONDS,
    });

    return metrics(WEBHOOK_TO_COMMAND_P50_DYNAMODB_LOCAL, WEBHOOK_TO_COMMAND_P99_DYNAMODB_LOCAL, 'dynamodb_local', m);
  } finally {
    await load?.close();
    await app.close();
    await consumer?.stop();
    await rig.close();
  }
};

export const benchmarks: Benchmark[] = [
  { name: 'webhook_to_command.embedded', run: embedded },
  { name: 'webhook_to_command.dynamodb_local', run: dynamodb },
];
