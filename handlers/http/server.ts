import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { registerApiRoutes, type ApiDeps } from './api-routes.js';
import { errorBody } from './errors.js';
import { registerWebhookRoute, type WebhookRouteDeps } from './webhook-route.js';

/**
 * The HTTP face of `runs-fleet serve`: /webhook (signature-checked), health, the read API and /metrics (loopback or
 * bearer token). Bodies over 1 MiB are refused with 413 as soon as the limit is passed, unsupported media types with
 * 415, and every error answer is `{"error": {"code", "message"}}`.
 */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
  readonly quarantined: ReadonlyArray<{ readonly streamId: string; readonly version: number; readonly reason: string }>;
}

export interface ServerDeps {
  readonly webhook: Omit<WebhookRouteDeps, 'metrics' | 'logger'>;
  readonly api: ApiDeps;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly readiness: () => Readiness;
}

const ERROR_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'body-too-large',
    message: `the body exceeds ${WEBHOOK_BODY_LIMIT} bytes`,
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported-media-type',
    message: 'content-type must be application/json (set the webhook content type to JSON)',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'empty-body', message: 'the body is empty' },
};

export const buildServer = (deps: ServerDeps): FastifyInstance => {
  const app = Fastify({ bodyLimit: WEBHOOK_BODY_LIMIT, logger: false, return503OnClosing: true });
  app.removeAllContentTypeParsers();
  // The raw bytes are what GitHub signed: parse nothing before the signature is checked.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: { code?: string; message: string; statusCode?: number }, _request, reply) => {
    const known = error.code === undefined ? undefined : ERROR_CODES[error.code];
    if (known !== undefined) return reply.code(known.status).send(errorBody(known.code, known.message));
    deps.logger.error({ err: error }, 'request failed');

    return reply.code(error.statusCode ?? 500).send(errorBody('internal', 'the request failed; see the logs'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('not-found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)),
  );

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    const state = deps.readiness();

    return reply
      .code(state.ready ? 200 : 503)
      .send({ ready: state.ready, reason: state.reason, quarantined: state.quarantined });
  });
  registerApiRoutes(app, deps.api);
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );
  registerWebhookRoute(app, { ...deps.webhook, metrics: deps.metrics, logger: deps.logger });

  return app;
};
