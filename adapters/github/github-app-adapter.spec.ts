import { createPrivateKey } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { githubFailureOf, type GithubPort, type GithubRunner } from '../../domain/ports/github.js';
import {
  dropConnection,
  forbidden,
  generateAppKeyPair,
  rateLimited,
  serverError,
  startFakeGithub,
  tooManyRequests,
  type AppKeyPair,
  type FakeGithub,
} from '../../test/fakes/github-server.js';
import { createGithubAppAdapter, GithubTransientError, type GithubAppAdapterOptions } from './index.js';

const APP_ID = 4242;
const ACME = { repo: 'acme/widgets', installationId: null };

const collect = async <A>(items: AsyncIterable<A>): Promise<A[]> => {
  const out: A[] = [];
  for await (const item of items) out.push(item);

  return out;
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

describe('[http] GitHub App adapter against the fake GitHub', () => {
  let keys: AppKeyPair;
  let fake: FakeGithub;
  let sleeps: number[];
  let logs: string[];
  let clockOffsetMs: number;

  const adapter = (overrides: Partial<GithubAppAdapterOptions> = {}): GithubPort =>
    createGithubAppAdapter({
      appId: APP_ID,
      privateKey: keys.privateKeyPem,
      baseUrl: fake.url,
      now: () => Date.now() + clockOffsetMs,
      logger: {
        info: (obj, msg) => void logs.push(JSON.stringify({ obj, msg })),
        warn: (obj, msg) => void logs.push(JSON.stringify({ obj, msg })),
      },
      retry: {
        sleep: async (ms) => void sleeps.push(ms),
        random: () => 0,
      },
      ...overrides,
    });

  const routes = () => fake.calls.map((c) => `${c.route ?? '?'} ${c.status}`);

  beforeAll(() => {
    keys = generateAppKeyPair();
  });

  beforeEach(async () => {
    fake = await startFakeGithub({ appId: APP_ID, publicKey: keys.publicKey, installations: { acme: 42 } });
    sleeps = [];
    logs = [];
    clockOffsetMs = 0;
    fake.state.seedJob({ repo: 'acme/widgets', id: '777', status: 'completed', conclusion: 'failure', labels: ['x'] });
  });

  afterEach(async () => {
    await fake.close();
  });

  describe('App authentication', () => {
    it('signs a JWT, looks the installation up once per owner, and reuses the installation token', async () => {
      const github = adapter();
      await github.getJob(ACME, '777');
      await github.getJob(ACME, '777');
      await github.getJob({ repo: 'acme/gadgets', installationId: null }, '1');

      expect(fake.calls.map((c) => [c.method, c.path, c.auth, c.status])).toEqual([
        ['GET', '/repos/acme/widgets/installation', 'jwt', 200],
        ['POST', '/app/installations/42/access_tokens', 'jwt', 201],
        ['GET', '/repos/acme/widgets/actions/jobs/777', 'token', 200],
        ['GET', '/repos/acme/widgets/actions/jobs/777', 'token', 200],
        ['GET', '/repos/acme/gadgets/actions/jobs/1', 'token', 404],
      ]);
    });

    it('skips the lookup when the installation id is known', async () => {
      await adapter().getJob({ repo: 'acme/widgets', installationId: 42 }, '777');

      expect(fake.calls.map((c) => c.route)).toEqual(['create-token', 'get-job']);
    });

    it('keeps a token until 5 minutes before it expires, then fetches a new one', async () => {
      const github = adapter();
      await github.getJob(ACME, '777');
      clockOffsetMs = 54 * 60_000;
      await github.getJob(ACME, '777');
      expect(fake.callsTo('create-token')).toHaveLength(1);

      clockOffsetMs = 56 * 60_000;
      await github.getJob(ACME, '777');
      expect(fake.callsTo('create-token')).toHaveLength(2);
      expect(fake.state.tokens.size).toBe(2);
    });

    it('answers a 401 with one fresh token and one more try', async () => {
      const github = adapter();
      await github.getJob(ACME, '777');
      fake.state.revokeTokens();
      fake.reset();

      await expect(github.getJob(ACME, '777')).resolves.toMatchObject({ status: 'completed' });
      expect(routes()).toEqual(['get-job 401', 'create-token 201', 'get-job 200']);
    });

    it('is refused by GitHub when the JWT is signed with another key', async () => {
      const stranger = generateAppKeyPair();
      const error = await rejection(adapter({ privateKey: stranger.privateKeyPem }).getJob(ACME, '777'));

      expect(githubFailureOf(error)?.kind).toBe('forbidden');
      expect(routes()).toEqual(['get-installation 401']);
    });

    it('takes the key as PEM (PKCS#1 or PKCS#8) or as base64 of the PEM, and never quotes a bad one', async () => {
      const pkcs8 = createPrivateKey(keys.privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
      const base64 = Buffer.from(keys.privateKeyPem).toString('base64');
      for (const privateKey of [pkcs8, base64, keys.privateKeyPem.replace(/\n/g, '\\n')])
        await expect(adapter({ privateKey }).getJob({ ...ACME, installationId: 42 }, '777')).resolves.not.toBeNull();

      const bad = 'c2VjcmV0LW5vdC1hLWtleQ==';
      expect(() => adapter({ privateKey: bad })).toThrow(/private key/);
      expect(() => adapter({ privateKey: bad })).not.toThrow(new RegExp(bad));
    });

    it('reports an owner without the App installed as forbidden, never as a missing job', async () => {
      const error = await rejection(adapter().getJob({ repo: 'stranger/repo', installationId: null }, '1'));

      expect(githubFailureOf(error)).toEqual({
        kind: 'forbidden',
        message: 'GET /repos/stranger/repo/installation answered 404 (App not installed)',
      });
    });

    it('looks the installation up again when its token request answers 404 (App reinstalled)', async () => {
      const github = adapter();
      await github.getJob(ACME, '777');
      fake.state.installations.set('acme', 43);
      fake.state.revokeTokens();

      expect(githubFailureOf(await rejection(github.getJob(ACME, '777')))?.kind).toBe('forbidden');
      await expect(github.getJob(ACME, '777')).resolves.not.toBeNull();
      expect(fake.callsTo('get-installation')).toHaveLength(2);
    });
  });

  describe('calls', () => {
    it('generates a JIT config with the runner name, group 1, the exact label and work folder _work', async () => {
      const jit = await adapter().generateJitConfig(ACME, 'runs-fleet-abc', ['runs-fleet=9000/cpu=2']);

      const [call] = fake.callsTo('generate-jitconfig');
      expect(call).toMatchObject({
        method: 'POST',
        path: '/repos/acme/widgets/actions/runners/generate-jitconfig',
        auth: 'token',
        body: { name: 'runs-fleet-abc', runner_group_id: 1, labels: ['runs-fleet=9000/cpu=2'], work_folder: '_work' },
      });
      const [issued] = fake.state.jitConfigs;
      expect(jit).toEqual({
        runnerId: issued?.runnerId,
        runnerName: 'runs-fleet-abc',
        encodedJitConfig: issued?.encodedJitConfig,
      });
    });

    it('reads a job, and answers null for a job GitHub does not know', async () => {
      fake.state.seedJob({ repo: 'acme/widgets', id: '778', status: 'in_progress', runnerName: 'r1', labels: ['l'] });
      const github = adapter();

      await expect(github.getJob(ACME, '778')).resolves.toEqual({
        id: '778',
        status: 'in_progress',
        conclusion: null,
        runnerName: 'r1',
        labels: ['l'],
      });
      await expect(github.getJob(ACME, '404')).resolves.toBeNull();
      expect(fake.callsTo('get-job').map((c) => c.path)).toEqual([
        '/repos/acme/widgets/actions/jobs/778',
        '/repos/acme/widgets/actions/jobs/404',
      ]);
    });

    it('re-runs one job with a bodiless POST', async () => {
      await adapter().rerunJob(ACME, '777');

      expect(fake.callsTo('rerun-job')).toMatchObject([
        { method: 'POST', path: '/repos/acme/widgets/actions/jobs/777/rerun', body: null, status: 201 },
      ]);
      expect(fake.state.reruns).toEqual([{ repo: 'acme/widgets', jobId: '777' }]);
    });

    it('lists runners 100 per page until the last page', async () => {
      for (let i = 0; i < 250; i += 1) fake.state.addRunner('acme/widgets', { name: `r-${i}`, busy: i === 3 });

      const runners: GithubRunner[] = await collect(adapter().listRunners(ACME));

      expect(runners).toHaveLength(250);
      expect(runners[3]).toMatchObject({ name: 'r-3', busy: true, status: 'offline' });
      expect(fake.callsTo('list-runners').map((c) => c.query)).toEqual([
        { per_page: '100', page: '1' },
        { per_page: '100', page: '2' },
        { per_page: '100', page: '3' },
      ]);
    });

    it('deletes a runner, and counts a runner already gone (404) as deleted', async () => {
      const runner = fake.state.addRunner('acme/widgets', { name: 'old' });
      const github = adapter();
      await github.deleteRunner(ACME, runner.id);
      await github.deleteRunner(ACME, runner.id);

      expect(fake.callsTo('delete-runner').map((c) => [c.method, c.path, c.status])).toEqual([
        ['DELETE', `/repos/acme/widgets/actions/runners/${runner.id}`, 204],
        ['DELETE', `/repos/acme/widgets/actions/runners/${runner.id}`, 404],
      ]);
      expect(fake.state.runners('acme/widgets')).toEqual([]);
    });
  });

  describe('retries (SPEC section 8)', () => {
    it('retries a 500 with 500 ms·2^n backoff, then succeeds', async () => {
      fake.fail('get-job', serverError(2));

      await expect(adapter().getJob(ACME, '777')).resolves.not.toBeNull();
      expect(fake.callsTo('get-job').map((c) => c.status)).toEqual([500, 500, 200]);
      expect(sleeps).toEqual([500, 1000]);
    });

    it('adds up to 500 ms of jitter and caps the backoff at 10 s', async () => {
      fake.fail('get-job', serverError(3));
      await adapter({
        retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, baseDelayMs: 4000 },
      }).getJob(ACME, '777');

      expect(sleeps).toEqual([6000, 10_000, 10_000]);
    });

    it('gives up after 3 retries with a transient error naming the call, not the body', async () => {
      fake.fail('rerun-job', serverError(4));
      const error = await rejection(adapter().rerunJob(ACME, '777'));

      expect(error).toBeInstanceOf(GithubTransientError);
      expect((error as Error).message).toBe(
        'POST /repos/acme/widgets/actions/jobs/777/rerun: answered 500 (retries exhausted)',
      );
      expect(fake.callsTo('rerun-job')).toHaveLength(4);
      expect(fake.state.reruns).toEqual([]);
    });

    it('waits what Retry-After says on a 429, capped at 60 s', async () => {
      fake.fail('get-job', tooManyRequests(7), tooManyRequests(120));

      await adapter().getJob(ACME, '777');
      expect(sleeps).toEqual([7000, 60_000]);
    });

    it('retries a rate-limited 403 until the reset, and never a plain 403', async () => {
      const github = adapter();
      fake.fail('get-job', rateLimited(Math.floor(Date.now() / 1000) + 30));
      await expect(github.getJob(ACME, '777')).resolves.not.toBeNull();
      expect(sleeps).toHaveLength(1);
      expect(sleeps[0]).toBeGreaterThan(28_000);
      expect(sleeps[0]).toBeLessThanOrEqual(30_000);

      fake.fail('rerun-job', forbidden());
      const error = await rejection(github.rerunJob(ACME, '777'));
      expect(githubFailureOf(error)).toEqual({
        kind: 'forbidden',
        message: 'POST /repos/acme/widgets/actions/jobs/777/rerun answered 403',
      });
      expect(fake.callsTo('rerun-job')).toHaveLength(1);
      expect(sleeps).toHaveLength(1);
    });

    it('does not retry 404 or 422', async () => {
      const github = adapter();
      fake.fail('rerun-job', { status: 404, body: { message: 'Not Found' } });
      expect(githubFailureOf(await rejection(github.rerunJob(ACME, '777')))?.kind).toBe('not-found');
      fake.fail('generate-jitconfig', { status: 422, body: { message: 'Validation Failed' } });
      expect(githubFailureOf(await rejection(github.generateJitConfig(ACME, 'r', ['l'])))?.kind).toBe('invalid');

      expect(fake.callsTo('rerun-job')).toHaveLength(1);
      expect(fake.callsTo('generate-jitconfig')).toHaveLength(1);
      expect(sleeps).toEqual([]);
    });

    it('retries a dropped connection and a timed-out call', async () => {
      fake.fail('get-job', dropConnection(), { status: 200, delayMs: 1000 });

      await expect(
        adapter({ retry: { timeoutMs: 200, sleep: async (ms) => void sleeps.push(ms), random: () => 0 } }).getJob(
          ACME,
          '777',
        ),
      ).resolves.not.toBeNull();
      // The abandoned call is recorded when the fake's delay ends, after the retry was answered.
      await vi.waitFor(() =>
        expect(fake.callsTo('get-job').map((c) => c.status)).toEqual(['dropped', 200, 'abandoned']),
      );
      expect(sleeps).toEqual([500, 1000]);
    });

    it('retries the installation-token request too', async () => {
      fake.fail('create-token', serverError());

      await adapter().getJob(ACME, '777');
      expect(routes()).toEqual(['get-installation 200', 'create-token 500', 'create-token 201', 'get-job 200']);
    });
  });

  describe('JIT config conflicts', () => {
    it('answers 409 by deleting the runner of that name and asking once more', async () => {
      const stale = fake.state.addRunner('acme/widgets', { name: 'runs-fleet-abc' });
      for (let i = 0; i < 120; i += 1) fake.state.addRunner('acme/widgets', { name: `other-${i}` });

      const jit = await adapter().generateJitConfig(ACME, 'runs-fleet-abc', ['l']);

      expect(fake.calls.filter((c) => c.auth === 'token').map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
        'POST /repos/acme/widgets/actions/runners/generate-jitconfig 409',
        'GET /repos/acme/widgets/actions/runners 200',
        `DELETE /repos/acme/widgets/actions/runners/${stale.id} 204`,
        'POST /repos/acme/widgets/actions/runners/generate-jitconfig 201',
      ]);
      expect(jit.runnerId).not.toBe(stale.id);
      expect(fake.state.runners('acme/widgets').filter((r) => r.name === 'runs-fleet-abc')).toHaveLength(1);
    });

    it('returns the second 409 as a conflict', async () => {
      const conflict = { status: 409, body: { message: 'Already exists' }, times: 2 };
      fake.fail('generate-jitconfig', conflict);

      const error = await rejection(adapter().generateJitConfig(ACME, 'runs-fleet-abc', ['l']));
      expect(githubFailureOf(error)?.kind).toBe('conflict');
      expect(fake.calls.filter((c) => c.auth === 'token').map((c) => `${c.route} ${c.status}`)).toEqual([
        'generate-jitconfig 409',
        'list-runners 200',
        'generate-jitconfig 409',
      ]);
    });

    it('treats an empty encoded_jit_config as a hard error', async () => {
      fake.fail('generate-jitconfig', {
        status: 201,
        body: { runner: { id: 9, name: 'runs-fleet-abc' }, encoded_jit_config: '' },
      });

      const error = await rejection(adapter().generateJitConfig(ACME, 'runs-fleet-abc', ['l']));
      expect(githubFailureOf(error)).toMatchObject({ kind: 'invalid', message: expect.stringMatching(/empty/) });
      expect(fake.callsTo('generate-jitconfig')).toHaveLength(1);
    });
  });

  it('never logs or throws a token, a JIT config, the key or an error body', async () => {
    const github = adapter();
    fake.fail('generate-jitconfig', serverError(), { status: 409, body: { message: 'Already exists SECRET-BODY' } });
    fake.state.addRunner('acme/widgets', { name: 'runs-fleet-abc' });
    const jit = await github.generateJitConfig(ACME, 'runs-fleet-abc', ['l']);
    fake.fail('rerun-job', { status: 422, body: { message: 'SECRET-BODY' } });
    const error = await rejection(github.rerunJob(ACME, '777'));

    const secrets = [jit.encodedJitConfig, ...fake.state.tokens.keys(), 'SECRET-BODY', 'Server Error'];
    const seen = [...logs, String(error), JSON.stringify(error)].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(seen).not.toContain(secret);
    expect(seen).not.toContain('PRIVATE KEY');
  });
});
