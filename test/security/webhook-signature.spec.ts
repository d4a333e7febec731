import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobPayload } from '../e2e/e2e-helpers.js';
import { SECRET, get, signatureOf, startSecureService, webhookHeaders, type SecureService } from './secure-service.js';

/**
 * Webhook signatures against the real service: only `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the exact body
 * bytes under the configured secret>` is accepted. Everything else is 401 `bad-signature`, counted, and appends
 * nothing. Also covered elsewhere, not repeated here: a missing header, a wrong secret, a signature of another body and
 * `sha1=` in the -256 header on the HTTP server alone (test/http/webhook-ingress.spec.ts), and a wrong secret on the
 * real service (test/e2e/service.spec.ts).
 */
const hmac = (algorithm: string, body: string, secret = SECRET) =>
  createHmac(algorithm, secret).update(body).digest('hex');

let s: SecureService;
let nextJob = 7_300_000_000;
const newJob = () => jobPayload('queued', ++nextJob);
/** Events only an accepted webhook appends. */
const webhookBorn = () => s.allEvents().filter((e) => e.type === 'JobQueued' || e.type === 'JobRejected').length;

beforeAll(async () => {
  s = await startSecureService();
});
afterAll(async () => s.close());

/** The body is correctly signable; only the header differs between cases. */
const forgeries: Array<[string, (body: string) => Promise<Record<string, string>>]> = [
  ['no signature header at all', async () => ({})],
  [
    'only the legacy X-Hub-Signature (HMAC-SHA1, correct for the body)',
    async (b) => ({ 'x-hub-signature': `sha1=${hmac('sha1', b)}` }),
  ],
  ['sha512= with a correct HMAC-SHA512', async (b) => ({ 'x-hub-signature-256': `sha512=${hmac('sha512', b)}` })],
  [
    'sha256= carrying a correct HMAC-SHA1 (another algorithm)',
    async (b) => ({ 'x-hub-signature-256': `sha256=${hmac('sha1', b)}` }),
  ],
  ['truncated to half its hex', async (b) => ({ 'x-hub-signature-256': (await signatureOf(b)).slice(0, 7 + 32) })],
  ['truncated by one hex digit', async (b) => ({ 'x-hub-signature-256': (await signatureOf(b)).slice(0, -1) })],
  ['the bare prefix', async () => ({ 'x-hub-signature-256': 'sha256=' })],
  ['the correct hex without its sha256= prefix', async (b) => ({ 'x-hub-signature-256': hmac('sha256', b) })],
  ['the correct signature with trailing bytes', async (b) => ({ 'x-hub-signature-256': `${await signatureOf(b)}00` })],
  [
    'a wrong one listed before the correct one',
    async (b) => ({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}, ${await signatureOf(b)}` }),
  ],
  ['the HMAC keyed with an empty secret', async (b) => ({ 'x-hub-signature-256': `sha256=${hmac('sha256', b, '')}` })],
  // What a forger who knows no secret can compute.
  [
    'the plain SHA-256 of the body',
    async (b) => ({ 'x-hub-signature-256': `sha256=${createHash('sha256').update(b).digest('hex')}` }),
  ],
];

describe('[http] [sqlite] security: webhook signatures on the real service', () => {
  it('accepts the correctly signed delivery (the harness signs as GitHub does)', async () => {
    const payload = newJob();
    expect(await s.postSigned(payload, 'sig-control')).toMatchObject({
      status: 200,
      body: { recorded: ['JobQueued', 'RunnerRequested'] },
    });
  });

  for (const [name, headersFor] of forgeries) {
    it(`refuses ${name} with 401 bad-signature and records nothing`, async () => {
      const payload = newJob();
      const body = JSON.stringify(payload);
      const before = webhookBorn();
      const unauthorized = await s.metric('runs_fleet_webhooks_total', { result: 'unauthorized' });
      const answer = await s.postRaw(body, { ...webhookHeaders(`sig-${name}`), ...(await headersFor(body)) });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({
        error: { code: 'bad-signature', message: expect.stringContaining('X-Hub-Signature-256') },
      });
      // The control job's pipeline keeps appending; webhook-born facts and this delivery's id tell what a webhook did.
      expect(webhookBorn()).toBe(before);
      expect(s.allEvents().some((e) => e.metadata.includes(`sig-${name}`))).toBe(false);
      expect(s.allEvents().some((e) => e.streamId === `job#${String(payload.workflow_job.id)}`)).toBe(false);
      expect((await get(`${s.url}/api/jobs/${String(payload.workflow_job.id)}`)).status).toBe(404);
      expect(await s.metric('runs_fleet_webhooks_total', { result: 'unauthorized' })).toBe(unauthorized + 1);
    });
  }

  describe('replays', () => {
    /** A delivery as captured off the wire: exact bytes and headers. */
    const capture = async (deliveryId: string) => {
      const payload = newJob();
      const body = JSON.stringify(payload);
      const headers = { ...webhookHeaders(deliveryId), 'x-hub-signature-256': await signatureOf(body) };

      return { payload, body, headers, jobId: String(payload.workflow_job.id) };
    };
    const typesOf = (jobId: string) =>
      s
        .allEvents()
        .filter((e) => e.streamId === `job#${jobId}`)
        .map((e) => e.type);

    it('a captured delivery replayed with a changed body under its signature is refused, whatever the change', async () => {
      const original = await capture('replay-body-1');
      expect((await s.postRaw(original.body, original.headers)).status).toBe(200);
      const otherJob = { ...original.payload, workflow_job: { ...original.payload.workflow_job, id: ++nextJob } };
      const bigger = {
        ...original.payload,
        workflow_job: { ...original.payload.workflow_job, labels: ['runs-fleet/cpu=64/arch=amd64'] },
      };
      const changed = [
        JSON.stringify(otherJob),
        JSON.stringify(bigger),
        // Semantically the same JSON, other bytes: the signature is over bytes.
        JSON.stringify(original.payload, null, 2),
        `${original.body}\n`,
      ];
      for (const body of changed) {
        const answer = await s.postRaw(body, original.headers);
        expect(answer).toMatchObject({ status: 401, body: { error: { code: 'bad-signature' } } });
      }
      expect(typesOf(String(nextJob))).toEqual([]);
      expect(typesOf(original.jobId).filter((t) => t === 'JobQueued' || t === 'RunnerRequested')).toEqual([
        'JobQueued',
        'RunnerRequested',
      ]);
    });

    it('the same signed bytes replayed (same or new X-GitHub-Delivery, which is not signed) add no job and no runner request', async () => {
      const original = await capture('replay-same-1');
      expect((await s.postRaw(original.body, original.headers)).status).toBe(200);
      const again = await s.postRaw(original.body, original.headers);
      expect(again).toEqual({ status: 200, body: { duplicate: true, jobId: original.jobId } });
      const renamed = await s.postRaw(original.body, { ...original.headers, 'x-github-delivery': 'replay-same-2' });
      expect(renamed).toEqual({ status: 202, body: { ignored: 'no-change' } });
      const requested = typesOf(original.jobId).filter((t) => t === 'JobQueued' || t === 'RunnerRequested');
      expect(requested).toEqual(['JobQueued', 'RunnerRequested']);
    });
  });
});
