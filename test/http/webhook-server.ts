import { Webhooks } from '@octokit/webhooks';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createMemoryEventStore, type MemoryEventStore } from '../../adapters/store-memory/index.js';
import { buildServer } from '../../handlers/http/server.js';
import { createLogger } from '../../handlers/observability/logger.js';
import { createMetrics } from '../../handlers/observability/metrics.js';
import { handleWorkflowJob } from '../../handlers/webhook/handle-workflow-job.js';
import { ReadModels } from '../../projections/read-models.js';
import type { EventStore } from '../../domain/store/event-store.js';

/** A real server on a loopback socket around a memory store, for HTTP-level tests of ingress and the read API. */
export interface TestServer {
  readonly url: string;
  readonly store: MemoryEventStore;
  readonly models: ReadModels;
  readonly logs: string[];
  post(body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; body: unknown }>;
  signed(event: string, payload: unknown, deliveryId?: string): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export const SECRET = 'test-webhook-secret-7f3a';

export const startTestServer = async (
  options: { failAppends?: boolean; allowlist?: string[] } = {},
): Promise<TestServer> => {
  const store = createMemoryEventStore();
  const models = new ReadModels({ defaultBackend: 'ec2' });
  const logs: string[] = [];
  const destination = new Writable({ write: (chunk, _e, done) => void (logs.push(String(chunk)), done()) });
  const failing: EventStore = {
    ...store,
    append: async () => {
      throw new Error('disk full');
    },
    read: (id, o) => store.read(id, o),
    listStreams: (c) => store.listStreams(c),
  };
  const app = buildServer({
    webhook: {
      secret: SECRET,
      handle: (delivery) =>
        handleWorkflowJob(
          {
            store: options.failAppends ? failing : store,
            aliases: [],
            allowlist: options.allowlist ?? [],
            now: () => new Date().toISOString(),
          },
          delivery,
        ),
    },
    api: {
      models: () => models,
      readStream: (id) => store.read(id),
      apiToken: null,
      allowlist: options.allowlist ?? [],
    },
    metrics: createMetrics(false),
    logger: createLogger({ destination }),
    readiness: () => ({ ready: true, reason: 'test', quarantined: [] }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const webhooks = new Webhooks({ secret: SECRET });
  let counter = 0;

  const post = async (body: string | Buffer, headers: Record<string, string>) => {
    const response = await fetch(`${url}/webhook`, { method: 'POST', body, headers });
    const text = await response.text();

    return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };

  return {
    url,
    store,
    models,
    logs,
    post,
    signed: async (event, payload, deliveryId) => {
      const body = JSON.stringify(payload);
      counter += 1;

      return post(body, {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': deliveryId ?? `delivery-${counter}`,
        'x-hub-signature-256': await webhooks.sign(body),
      });
    },
    close: () => app.close(),
  };
};
