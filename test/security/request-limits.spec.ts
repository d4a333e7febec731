import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBHOOK_BODY_LIMIT } from '../../handlers/http/server.js';
import { jobPayload } from '../e2e/e2e-helpers.js';
import { bodyOf, rawExchange, statusOf, type RawPlan } from './raw-client.js';
import { signatureOf, startSecureService, type SecureService } from './secure-service.js';

/**
 * Bodies over the limit and slow clients against the real service. The body limit (1 MiB) is enforced while reading,
 * before the signature is looked at; a client that takes longer than RUNS_FLEET_HTTP_REQUEST_TIMEOUT_MS to send its
 * whole request (a trickled body, or headers that never end) is answered 408 and cut off, and while such clients hang
 * on, everyone else is served. A body declared over the limit with `content-length` is covered on the HTTP server
 * alone by test/http/webhook-ingress.spec.ts ("body over 1 MiB").
 */
const TIMEOUT_MS = 1_000;
const SLOW_CLIENTS = 20;

let s: SecureService;
beforeAll(async () => {
  s = await startSecureService({ RUNS_FLEET_HTTP_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) });
});
afterAll(async () => s.close());

const port = () => s.service.port;
const webhookBorn = () => s.allEvents().filter((e) => e.type === 'JobQueued' || e.type === 'JobRejected').length;

/** Request head for POST /webhook, correctly signed for `body` (so only size or pace can be what is refused). */
const head = async (body: string, framing: Record<string, string>, deliveryId: string) =>
  [
    'POST /webhook HTTP/1.1',
    `host: 127.0.0.1:${String(port())}`,
    'content-type: application/json',
    'x-github-event: workflow_job',
    `x-github-delivery: ${deliveryId}`,
    `x-hub-signature-256: ${await signatureOf(body)}`,
    ...Object.entries(framing).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');

const chunk = (data: string) => `${data.length.toString(16)}\r\n${data}\r\n`;

describe('[http] [sqlite] security: body limit and slow clients on the real service', () => {
  it('cuts a chunked body (no content-length) off with 413 once it passes 1 MiB, without reading the rest', async () => {
    const piece = 'x'.repeat(64 * 1024);
    const body = JSON.stringify({ pad: piece.repeat(64) });
    const before = webhookBorn();
    const plan: RawPlan = {
      opening: await head(body, { 'transfer-encoding': 'chunked' }, 'big-chunked'),
      // 64 KiB every 5 ms: 4 MiB if nobody stopped it (the test's 30 s would pass first if the server kept reading).
      chunks: Array.from({ length: 64 }, () => chunk(piece)),
      everyMs: 5,
    };
    const { response, sent } = await rawExchange(port(), plan);
    expect(statusOf(response)).toBe(413);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'body-too-large' } });
    // Refused within the next chunks after the limit, not after reading all 4 MiB.
    expect(sent).toBeLessThan(4 * WEBHOOK_BODY_LIMIT);
    expect(webhookBorn()).toBe(before);
  });

  it('answers a trickled body 408 and closes it, while a normal delivery from someone else is recorded meanwhile', async () => {
    const before = webhookBorn();
    const slow = async (i: number) => {
      const body = JSON.stringify(jobPayload('queued', 7_310_000_000 + i));
      const opening = await head(body, { 'content-length': String(body.length) }, `slow-${String(i)}`);

      // One byte every 100 ms: the whole body would take minutes.
      return rawExchange(port(), { opening: opening + body.slice(0, 10), chunks: [...body.slice(10)], everyMs: 100 });
    };
    const slowOnes = Array.from({ length: SLOW_CLIENTS }, (_, i) => slow(i));

    const normal = await s.postSigned(jobPayload('queued', 7_310_001_000), 'normal-among-slow');
    expect(normal).toMatchObject({ status: 200, body: { recorded: ['JobQueued', 'RunnerRequested'] } });

    for (const { response } of await Promise.all(slowOnes)) {
      expect(statusOf(response)).toBe(408);
      expect(bodyOf(response)).toMatchObject({
        error: { code: 'request-timeout', message: expect.stringContaining('RUNS_FLEET_HTTP_REQUEST_TIMEOUT_MS') },
      });
    }
    // Only the normal delivery was recorded.
    expect(webhookBorn()).toBe(before + 1);
    expect((await s.postSigned(jobPayload('queued', 7_310_001_001), 'normal-after-slow')).status).toBe(200);
  });

  it('answers headers that never end 408 and closes the connection', async () => {
    const { response } = await rawExchange(port(), {
      opening: `POST /webhook HTTP/1.1\r\nhost: 127.0.0.1\r\nx-github-event: workflow_job\r\n`,
      chunks: [...'x-padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
      everyMs: 100,
    });
    expect(statusOf(response)).toBe(408);
  });

  it('answers bytes that are not HTTP with 400 in the usual error shape', async () => {
    const { response } = await rawExchange(port(), { opening: 'HELLO\r\n\r\n', chunks: [], everyMs: 1_000 });
    expect(statusOf(response)).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'bad-request' } });
  });
});
