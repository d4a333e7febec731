import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import { registerApiRoutes, type ApiDeps } from './api-routes.js';
import { errorBody } from './errors.js';
import { registerWebhookRoute, type WebhookRouteDeps } from './webhook-route.js';

/**
 * The HTTP face of `runs-fleet serve`: /webhook (signature-checked), health, the read API and /metrics (loopback or
 * bearer token). Bodies over 1 MiB are refused with 413 as soon as the limit is passed, unsupported media types with
 * 415, a request not fully received within `requestTimeoutMs` with 408 (the socket is then closed), and every error
 * answer is `{"error": {"code", "message"}}`.
 */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
/** RUNS_FLEET_HTTP_REQUEST_TIMEOUT_MS's default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** How often Node looks for requests past their deadline; a timeout fires at most this much late. */
const MAX_TIMEOUT_CHECK_MS = 1_000;

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
  /** The longest a caller may take to send a whole request (headers and body). Default DEFAULT_REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number;
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

/** Errors Node raises before a request reaches fastify (a timeout, oversized headers, bytes that are not HTTP). */
const CLIENT_ERRORS: Record<string, { status: number; reason: string; code: string; message: (ms: number) => string }> =
  {
    ERR_HTTP_REQUEST_TIMEOUT: {
      status: 408,
      reason: 'Request Timeout',
      code: 'request-timeout',
      message: (ms) => `the request was not received within ${ms} ms (RUNS_FLEET_HTTP_REQUEST_TIMEOUT_MS)`,
    },
    HPE_HEADER_OVERFLOW: {
      status: 431,
      reason: 'Request Header Fields Too Large',
      code: 'headers-too-large',
      message: () => 'the request headers exceed 16 KiB',
    },
  };
const NOT_HTTP = {
  status: 400,
  reason: 'Bad Request',
  code: 'bad-request',
  message: () => 'the request is not valid HTTP',
};

/**
 * Node's own 5-minute request deadline is switched off by fastify (its `requestTimeout` defaults to 0), which let a
 * client trickling a body one byte at a time hold a socket and a buffer for as long as it liked; the deadline is set
 * here instead. A request past it is answered 408 in the usual error shape, and its socket closed.
 */
const timeouts = (requestTimeoutMs: number) => ({
  requestTimeout: requestTimeoutMs,
  http: {
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_MS, requestTimeoutMs),
  },
  clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const known = (error.code === undefined ? undefined : CLIENT_ERRORS[error.code]) ?? NOT_HTTP;
    if (!socket.writable) {
      socket.destroy();

      return;
    }
    const body = JSON.stringify(errorBody(known.code, known.message(requestTimeoutMs)));
    const head = `HTTP/1.1 ${known.status} ${known.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
    socket.end(`${head}${body}`, () => socket.destroy());
    // A client that stopped reading never lets the answer flush: it is cut off all the same.
    setTimeout(() => socket.destroy(), MAX_TIMEOUT_CHECK_MS).unref();
  },
});

export const buildServer = (deps: ServerDeps): FastifyInstance => {
  const app = Fastify({
    bodyLimit: WEBHOOK_BODY_LIMIT,
    logger: false,
    return503OnClosing: true,
    ...timeouts(deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
  });
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
