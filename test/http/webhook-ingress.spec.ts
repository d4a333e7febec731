import { Webhooks } from '@octokit/webhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { examplePayload } from './payloads.js';
import { SECRET, startTestServer, type TestServer } from './webhook-server.js';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => server.close());

const appended = async () => await server.store.head();

describe('[http] webhook ingress', () => {
  it('records a real queued payload durably before answering 200', async () => {
    const answer = await server.signed('workflow_job', examplePayload('queued'));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ recorded: ['JobQueued', 'RunnerRequested'] });
    const events = await server.store.read(`job#${String(examplePayload('queued').workflow_job.id)}`);
    expect(events.map((e) => e.type)).toEqual(['JobQueued', 'RunnerRequested']);
    expect(events[0]?.metadata.deliveryId).toBe('delivery-1');
  });

  it('recognises a redelivery by its X-GitHub-Delivery, and the same job twice as one job', async () => {
    const payload = examplePayload('queued');
    await server.signed('workflow_job', payload, 'same');
    const again = await server.signed('workflow_job', payload, 'same');
    const other = await server.signed('workflow_job', payload, 'another');
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(other.status).toBe(202);
    expect(await appended()).toBe(2);
  });

  it('ignores foreign jobs with 202 and records nothing', async () => {
    const answer = await server.signed('workflow_job', examplePayload('queued', { labels: ['ubuntu-latest'] }));
    expect(answer).toEqual({ status: 202, body: { ignored: 'not-ours' } });
    expect(await appended()).toBe(0);
  });

  it('records a rejection users can read for invalid labels', async () => {
    const payload = examplePayload('queued', { labels: ['runs-fleet/cpu=abc'] });
    await server.signed('workflow_job', payload);
    const [event] = await server.store.read(`job#${String(payload.workflow_job.id)}`);
    expect(event?.type).toBe('JobRejected');
    expect(JSON.stringify(event?.data)).toContain('cpu=abc');
  });

  it('answers ping, and ignores waiting and other events', async () => {
    expect((await server.signed('ping', { zen: 'hi' })).status).toBe(200);
    expect((await server.signed('workflow_job', { ...examplePayload('queued'), action: 'waiting' })).status).toBe(202);
    expect((await server.signed('push', { ref: 'main' })).status).toBe(202);
    expect(await appended()).toBe(0);
  });

  it('answers 503 when the append fails, so GitHub redelivers', async () => {
    const failing = await startTestServer({ failAppends: true });
    const answer = await failing.signed('workflow_job', examplePayload('queued'));
    await failing.close();
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: { code: 'not-recorded' } });
  });
});

describe('[http] webhook bad input: status, error body, nothing recorded', () => {
  const body = JSON.stringify(examplePayload('queued'));
  const sign = (text: string, secret = SECRET) => new Webhooks({ secret }).sign(text);
  const base = { 'content-type': 'application/json', 'x-github-event': 'workflow_job', 'x-github-delivery': 'd1' };

  const cases: Array<[string, () => Promise<{ status: number; body: unknown }>, number, string]> = [
    ['missing signature', () => server.post(body, base), 401, 'bad-signature'],
    [
      'wrong secret',
      async () => server.post(body, { ...base, 'x-hub-signature-256': await sign(body, 'other') }),
      401,
      'bad-signature',
    ],
    [
      'signature of another body',
      async () =>
        server.post(body.replace('runs-fleet', 'runs-fleeT'), { ...base, 'x-hub-signature-256': await sign(body) }),
      401,
      'bad-signature',
    ],
    ['sha1 signature', () => server.post(body, { ...base, 'x-hub-signature-256': 'sha1=abc' }), 401, 'bad-signature'],
    [
      'form-encoded body',
      async () =>
        server.post(body, {
          ...base,
          'content-type': 'application/x-www-form-urlencoded',
          'x-hub-signature-256': await sign(body),
        }),
      415,
      'unsupported-media-type',
    ],
    [
      'body over 1 MiB',
      async () => {
        const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });

        return server.post(big, { ...base, 'x-hub-signature-256': await sign(big) });
      },
      413,
      'body-too-large',
    ],
    [
      'invalid JSON',
      async () => server.post('{"action":', { ...base, 'x-hub-signature-256': await sign('{"action":') }),
      400,
      'invalid-json',
    ],
    [
      'payload that fails the codec',
      async () => {
        const bad = JSON.stringify({
          action: 'queued',
          workflow_job: { id: 'abc', run_id: 1, labels: [] },
          repository: { full_name: 'a/b' },
        });

        return server.post(bad, { ...base, 'x-hub-signature-256': await sign(bad) });
      },
      400,
      'invalid-payload',
    ],
  ];

  for (const [name, send, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const answer = await send();
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ error: { code, message: expect.any(String) } });
      expect(await appended()).toBe(0);
    });
  }

  it('names the failing field for a payload that fails the codec', async () => {
    const bad = JSON.stringify({
      action: 'queued',
      workflow_job: { id: 'abc', run_id: 1, labels: [] },
      repository: { full_name: 'a/b' },
    });
    const answer = await server.post(bad, { ...base, 'x-hub-signature-256': await sign(bad) });
    expect(JSON.stringify(answer.body)).toContain('workflow_job');
    expect(JSON.stringify(answer.body)).toContain('id');
  });

  it('wrong method → 405', async () => {
    const response = await fetch(`${server.url}/webhook`);
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ error: { code: 'method-not-allowed' } });
  });
});
