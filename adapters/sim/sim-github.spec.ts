import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhooks } from '@octokit/webhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { githubFailureOf } from '../../domain/ports/github.js';
import { createSimGithub, type SimGithub } from './sim-github.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A tiny webhook receiver: records every POST and answers with the next status (200 when none is left). */
const startReceiver = async (statuses: number[] = []) => {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(statuses.shift() ?? 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${String(port)}/webhook`,
    received,
    payloads: () => received.map((r) => JSON.parse(r.body) as { action: string; workflow_job: { id: number } }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const SECRET = 'sim-webhook-secret';
const REPO = { repo: 'acme/widgets', installationId: null };
const LABELS = ['self-hosted', 'runs-fleet/cpu=4'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('[http] simulated GitHub', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let github: SimGithub;

  const make = async (statuses: number[] = []) => {
    receiver = await startReceiver(statuses);
    github = createSimGithub({
      webhookUrl: receiver.url,
      webhookSecret: SECRET,
      seed: 3,
      installationId: 42,
      redelivery: { attempts: 3, baseMs: 5 },
    });
  };

  const runner = async (name: string, labels = ['runs-fleet/cpu=4']) => {
    const jit = await github.generateJitConfig(REPO, name, labels);
    const registered = github.registerRunner({
      encodedJitConfig: jit.encodedJitConfig,
      runnerName: name,
      labels,
      repo: REPO.repo,
    });
    expect(registered.ok).toBe(true);

    return jit;
  };

  afterEach(async () => {
    github.close();
    await receiver.close();
  });

  it('posts signed workflow_job webhooks shaped like GitHub for queued, in_progress and completed, in order', async () => {
    await make();
    const job = github.enqueue({ repo: REPO.repo, labels: LABELS, name: 'test' });
    await runner('runs-fleet-a');
    expect(github.takeJob('runs-fleet-a', ['runs-fleet/cpu=4'])?.id).toBe(job.id);
    github.completeJob(job.id, 'success');
    await github.settled();

    const verifier = new Webhooks({ secret: SECRET });
    expect(receiver.received).toHaveLength(3);
    for (const { headers, body } of receiver.received) {
      expect(headers['x-github-event']).toBe('workflow_job');
      expect(headers['content-type']).toBe('application/json');
      expect(headers['x-github-delivery']).toMatch(UUID);
      expect(await verifier.verify(body, String(headers['x-hub-signature-256']))).toBe(true);
    }
    expect(new Set(receiver.received.map((r) => r.headers['x-github-delivery'])).size).toBe(3);
    const [queued, started, completed] = receiver.payloads();
    expect(queued).toMatchObject({
      action: 'queued',
      workflow_job: {
        id: Number(job.id),
        run_id: Number(job.runId),
        run_attempt: 1,
        labels: LABELS,
        status: 'queued',
        conclusion: null,
        runner_name: null,
        name: 'test',
      },
      repository: { full_name: 'acme/widgets', name: 'widgets', owner: { login: 'acme' } },
      sender: { login: expect.any(String) },
      installation: { id: 42 },
    });
    expect(started).toMatchObject({
      action: 'in_progress',
      workflow_job: { status: 'in_progress', runner_name: 'runs-fleet-a', runner_id: expect.any(Number) },
    });
    expect(completed).toMatchObject({
      action: 'completed',
      workflow_job: { status: 'completed', conclusion: 'success', completed_at: expect.any(String) },
    });
  });

  it('redelivers a webhook the service failed with 5xx, with the same delivery id, and does not redeliver a 4xx', async () => {
    await make([500, 503, 200, 400]);
    const first = github.enqueue({ repo: REPO.repo, labels: LABELS });
    await github.settled();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['x-github-delivery'])).size).toBe(1);
    github.enqueue({ repo: REPO.repo, labels: LABELS });
    await github.settled();
    expect(receiver.received).toHaveLength(4);
    expect(first.id).not.toBe('');
  });

  it('hands a runner only jobs its labels cover, oldest first, and only in its repository', async () => {
    await make();
    const other = github.enqueue({ repo: 'acme/other', labels: LABELS });
    const bigger = github.enqueue({ repo: REPO.repo, labels: ['self-hosted', 'runs-fleet/cpu=8'] });
    const a = github.enqueue({ repo: REPO.repo, labels: LABELS });
    const b = github.enqueue({ repo: REPO.repo, labels: LABELS });
    await runner('runs-fleet-b');
    expect(github.takeJob('runs-fleet-b', ['runs-fleet/cpu=4'])?.id).toBe(a.id);
    // Busy runners get nothing more.
    expect(github.takeJob('runs-fleet-b', ['runs-fleet/cpu=4'])).toBeNull();
    await runner('runs-fleet-c');
    expect(github.takeJob('runs-fleet-c', ['runs-fleet/cpu=4'])?.id).toBe(b.id);
    expect(
      github
        .jobs()
        .filter((j) => j.status === 'queued')
        .map((j) => j.id),
    ).toEqual([other.id, bigger.id]);
  });

  it('re-runs a completed job as a NEW job, one attempt later, and sends its queued webhook', async () => {
    await make();
    const job = github.enqueue({ repo: REPO.repo, labels: LABELS });
    await expect(github.rerunJob(REPO, job.id)).rejects.toSatisfy((e) => githubFailureOf(e)?.kind === 'forbidden');
    await expect(github.rerunJob(REPO, '1')).rejects.toSatisfy((e) => githubFailureOf(e)?.kind === 'not-found');
    await runner('runs-fleet-d');
    github.takeJob('runs-fleet-d', ['runs-fleet/cpu=4']);
    github.completeJob(job.id, 'failure');
    await github.rerunJob(REPO, job.id);
    await github.settled();
    const rerun = github.jobs().at(-1);
    expect(rerun).toMatchObject({ runId: job.runId, runAttempt: 2, status: 'queued', labels: LABELS });
    expect(rerun?.id).not.toBe(job.id);
    expect(await github.getJob(REPO, job.id)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(await github.getJob({ repo: 'acme/other', installationId: null }, job.id)).toBeNull();
    // Deliveries of different jobs run side by side: find the re-run's.
    const sent = receiver.payloads().filter((p) => p.workflow_job.id === Number(rerun?.id));
    expect(sent).toEqual([
      expect.objectContaining({ action: 'queued', workflow_job: expect.objectContaining({ run_attempt: 2 }) }),
    ]);
  });

  it('learns jobs from webhooks posted by others (observe), and closes them when they complete', async () => {
    await make();
    const payload = (action: string, extra: Record<string, unknown> = {}) => ({
      action,
      workflow_job: { id: 777, run_id: 9000, labels: LABELS, ...extra },
      repository: { full_name: REPO.repo },
    });
    expect(github.observe(payload('queued'))).toBe('added');
    expect(github.observe(payload('queued'))).toBe('unchanged');
    expect(github.observe({ action: 'queued' })).toBe('ignored');
    await runner('runs-fleet-e');
    expect(github.takeJob('runs-fleet-e', ['runs-fleet/cpu=4'])?.id).toBe('777');
    expect(github.observe(payload('queued'))).toBe('unchanged');
    expect(github.observe(payload('completed', { conclusion: 'cancelled' }))).toBe('updated');
    github.completeJob('777', 'success');
    expect(github.jobs()[0]).toMatchObject({
      id: '777',
      status: 'completed',
      conclusion: 'cancelled',
      origin: 'observed',
    });
    expect(github.runners()).toEqual([]);
  });

  it('generates JIT configs that are visibly fake and one-shot, and manages registrations like GitHub', async () => {
    await make();
    const jit = await github.generateJitConfig(REPO, 'runs-fleet-f', ['runs-fleet/cpu=4']);
    expect(JSON.parse(Buffer.from(jit.encodedJitConfig, 'base64').toString('utf8'))).toMatchObject({
      sim: true,
      runnerName: 'runs-fleet-f',
    });
    // The same name again: the stale registration is replaced (what the App adapter does on 409).
    const again = await github.generateJitConfig(REPO, 'runs-fleet-f', ['runs-fleet/cpu=4']);
    expect(github.runners().map((r) => r.id)).toEqual([again.runnerId]);
    const register = () =>
      github.registerRunner({
        encodedJitConfig: again.encodedJitConfig,
        runnerName: 'runs-fleet-f',
        labels: [],
        repo: REPO.repo,
      });
    expect(register()).toEqual({ ok: true, runnerId: again.runnerId });
    expect(register()).toMatchObject({ ok: false });
    expect(
      github.registerRunner({ encodedJitConfig: 'real-looking', runnerName: 'x', labels: [], repo: null }),
    ).toMatchObject({ ok: false });

    github.enqueue({ repo: REPO.repo, labels: LABELS });
    github.takeJob('runs-fleet-f', ['runs-fleet/cpu=4']);
    const listed = [];
    for await (const r of github.listRunners(REPO)) listed.push(r);
    expect(listed).toEqual([{ id: again.runnerId, name: 'runs-fleet-f', status: 'online', busy: true }]);
    await expect(github.deleteRunner(REPO, again.runnerId)).rejects.toSatisfy(
      (e) => githubFailureOf(e)?.kind === 'invalid',
    );
    github.runnerExited('runs-fleet-f');
    await github.deleteRunner(REPO, again.runnerId);
    await github.deleteRunner(REPO, again.runnerId);
    expect(github.runners()).toEqual([]);
  });
});
