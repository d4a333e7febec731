import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobPayload, waitForJob, webhookPoster } from '../e2e/e2e-helpers.js';
import { API_TOKEN, SECRET, get, startSecureService, type SecureService } from './secure-service.js';

/**
 * Who may read what, against the real service. Jobs of repositories outside RUNS_FLEET_ALLOWED_REPOS are never
 * recorded; those recorded before the list was narrowed (a restart with a new list on the same store) stay out of every
 * read-API answer, machines serving them included. From a non-loopback address the read API and /metrics need the
 * bearer token, whatever spelling of the path is used (percent-escapes are decoded by the router, so a guard on the raw
 * URL was bypassed by `/%61pi/jobs`). The token check on request objects is unit-tested in test/e2e/service.spec.ts
 * (mayRead), and the plain remote check on the real service there too.
 */
const ALLOWED_REPO = 'Codertocat/Hello-World'; // the @octokit/webhooks-examples repository
const FOREIGN_REPO = 'intruder-org/secret-project';
const DEADLINE_MS = 8_000;
// Far apart: a payload's run id is its job id + 1.
const [allowedJob, foreignJob] = [7_340_000_001, 7_340_000_051];

const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

const inRepo = (id: number, fullName: string) => {
  const payload = jobPayload('queued', id);

  return { ...payload, repository: { ...(payload.repository as object), full_name: fullName } };
};

let s: SecureService;

beforeAll(async () => {
  // First without an allowlist: both jobs are recorded and served.
  const open = await startSecureService();
  for (const [id, repo] of [
    [allowedJob, ALLOWED_REPO],
    [foreignJob, FOREIGN_REPO],
  ] as const) {
    expect((await open.postSigned(inRepo(id, repo), `acl-${String(id)}`)).status).toBe(200);
  }
  for (const id of [allowedJob, foreignJob])
    expect((await waitForJob(open.url, id, (j) => j?.status === 'completed', DEADLINE_MS))?.status).toBe('completed');
  await open.close({ keepData: true });
  // Then the list is narrowed to one owner, on the same store, listening on every address.
  s = await startSecureService({ RUNS_FLEET_ALLOWED_REPOS: 'Codertocat' }, { dataDir: open.dataDir, host: '0.0.0.0' });
}, 30_000);

afterAll(async () => s.close());

describe('[http] [sqlite] security: the read API does not leak other repositories under an allowlist', () => {
  it('lists and serves the allowed job, and answers 404 for the foreign one', async () => {
    const jobs = (await get(`${s.url}/api/jobs`)).body as { jobs: Array<{ id: string; repo: string }> };
    expect(jobs.jobs.map((j) => j.id)).toEqual([String(allowedJob)]);
    expect((await get(`${s.url}/api/jobs/${String(allowedJob)}`)).status).toBe(200);
    expect(await get(`${s.url}/api/jobs/${String(foreignJob)}`)).toMatchObject({
      status: 404,
      body: { error: { code: 'not-found' } },
    });
  });

  it('names the foreign job or its repository in no answer (machines and pools included)', async () => {
    const machines = (await get(`${s.url}/api/machines`)).body as { machines: Array<{ jobId: string | null }> };
    expect(machines.machines.map((m) => m.jobId)).toEqual([String(allowedJob)]);
    for (const path of [
      '/api/jobs',
      '/api/jobs?status=completed&limit=5000',
      `/api/jobs/${String(allowedJob)}`,
      '/api/machines',
      '/api/pools',
    ]) {
      const text = JSON.stringify((await get(`${s.url}${path}`)).body);
      expect(text, path).not.toContain(String(foreignJob));
      expect(text, path).not.toContain('intruder-org');
    }
  });

  it('records no new job of a repository outside the list, including look-alike owners', async () => {
    let id = 7_340_000_100;
    for (const repo of [FOREIGN_REPO, 'Codertocat-evil/Hello-World', 'Codertocat.evil/x', 'xCodertocat/Hello-World']) {
      const answer = await s.postSigned(inRepo(++id, repo), `acl-new-${String(id)}`);
      expect(answer, repo).toEqual({ status: 202, body: { ignored: 'not-allowed' } });
      expect(
        s.allEvents().some((e) => e.streamId === `job#${String(id)}`),
        repo,
      ).toBe(false);
    }
    // Any repository of an allowed owner is taken.
    expect((await s.postSigned(inRepo(++id, 'Codertocat/another-repo'), `acl-new-${String(id)}`)).status).toBe(200);
  });
});

describe.skipIf(externalAddress === undefined)(
  '[http] [sqlite] security: the read API and /metrics need the token from a non-loopback caller, however spelled',
  () => {
    const remote = () => `http://${externalAddress ?? ''}:${String(s.service.port)}`;
    const guarded = [
      '/api/jobs',
      '/%61pi/jobs',
      '/api/%6aobs',
      '/%61%70%69/jobs',
      `/%61pi/jobs/${String(allowedJob)}`,
      '/%61pi/machines',
      '/%61pi/pools',
      '/metrics',
      '/%6detrics',
      '/%6D%65trics',
    ];

    for (const path of guarded) {
      it(`${path}: 401 without the token or with a wrong one, 200 with it`, async () => {
        const refused = await get(`${remote()}${path}`);
        expect(refused).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
        expect((await get(`${remote()}${path}`, { authorization: `Bearer ${API_TOKEN}x` })).status).toBe(401);
        expect((await get(`${remote()}${path}`, { authorization: API_TOKEN })).status).toBe(401);
        expect((await get(`${remote()}${path}`, { authorization: `Bearer ${API_TOKEN}` })).status).toBe(200);
      });
    }

    it('answers an unknown path 401 too (closed by default), and keeps /webhook, /healthz and /readyz open', async () => {
      expect((await get(`${remote()}/api/not-a-route`)).status).toBe(401);
      expect((await get(`${remote()}/healthz`)).status).toBe(200);
      expect((await get(`${remote()}/readyz`)).status).toBe(200);
      const answer = await webhookPoster(remote(), SECRET).post(inRepo(7_340_000_200, ALLOWED_REPO), 'acl-remote-1');
      expect(answer.status).toBe(200);
    });
  },
);
