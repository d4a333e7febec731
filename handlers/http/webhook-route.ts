import { Webhooks } from '@octokit/webhooks';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { Delivery, WebhookOutcome } from '../webhook/handle-workflow-job.js';
import { errorBody } from './errors.js';

/**
 * POST /webhook: signature (constant time, by @octokit/webhooks) before anything else is looked at, then the delivery
 * is decoded and recorded. 2xx only after the durable append; any failure to record is a 503 so GitHub redelivers.
 */
export interface WebhookRouteDeps {
  readonly secret: string;
  readonly handle: (delivery: Delivery) => Promise<WebhookOutcome>;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

const header = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

const answer = (reply: FastifyReply, outcome: WebhookOutcome) => {
  switch (outcome.kind) {
    case 'recorded':
      return reply.code(200).send({ recorded: outcome.events, jobId: outcome.jobId });
    case 'duplicate':
      return reply.code(200).send({ duplicate: true, jobId: outcome.jobId });
    case 'ignored':
      return reply.code(202).send({ ignored: outcome.reason });
    case 'invalid':
      return reply.code(400).send(errorBody('invalid-payload', outcome.message));
  }
};

const metricLabel = (outcome: WebhookOutcome): string =>
  outcome.kind === 'ignored' ? `ignored_${outcome.reason.replace('-', '_')}` : outcome.kind;

export const registerWebhookRoute = (app: FastifyInstance, deps: WebhookRouteDeps): void => {
  const webhooks = new Webhooks({ secret: deps.secret });

  app.post('/webhook', async (request, reply) => {
    const raw = request.body;
    const event = header(request.headers['x-github-event']);
    const deliveryId = header(request.headers['x-github-delivery']);
    const signature = header(request.headers['x-hub-signature-256']);
    const log = deps.logger.child({ deliveryId, event });
    if (!Buffer.isBuffer(raw) || signature === undefined || !signature.startsWith('sha256=')) {
      deps.metrics.webhooks.inc({ result: 'unauthorized' });

      return reply.code(401).send(errorBody('bad-signature', 'X-Hub-Signature-256 (sha256=<hex>) is required'));
    }
    const text = raw.toString('utf8');
    if (!(await webhooks.verify(text, signature).catch(() => false))) {
      deps.metrics.webhooks.inc({ result: 'unauthorized' });

      return reply.code(401).send(errorBody('bad-signature', 'X-Hub-Signature-256 does not match the body and secret'));
    }
    if (event === undefined || deliveryId === undefined) {
      deps.metrics.webhooks.inc({ result: 'invalid' });

      return reply.code(400).send(errorBody('missing-header', 'X-GitHub-Event and X-GitHub-Delivery are required'));
    }
    if (event === 'ping') return reply.code(200).send({ pong: true });
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      deps.metrics.webhooks.inc({ result: 'invalid' });

      return reply.code(400).send(errorBody('invalid-json', `body is not JSON: ${(error as Error).message}`));
    }
    try {
      const outcome = await deps.handle({ event, deliveryId, payload });
      deps.metrics.webhooks.inc({ result: metricLabel(outcome) });
      log.info({ jobId: 'jobId' in outcome ? outcome.jobId : undefined, outcome: outcome.kind }, 'webhook');

      return answer(reply, outcome);
    } catch (error) {
      deps.metrics.webhooks.inc({ result: 'failed' });
      log.error({ err: error }, 'webhook not recorded; GitHub will redeliver');

      return reply.code(503).send(errorBody('not-recorded', 'the delivery could not be recorded; retry later'));
    }
  });

  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/webhook',
    handler: async (_request, reply) =>
      reply.code(405).header('allow', 'POST').send(errorBody('method-not-allowed', 'use POST for /webhook')),
  });
};
