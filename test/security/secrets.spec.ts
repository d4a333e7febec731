import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAppKeyPair, serverError, startFakeGithub, type FakeGithub } from '../fakes/github-server.js';
import { jobPayload, pollUntil } from '../e2e/e2e-helpers.js';
import {
  API_TOKEN,
  SECRET,
  get,
  signatureOf,
  startSecureService,
  webhookHeaders,
  type Answer,
  type SecureService,
} from './secure-service.js';

/**
 * Config secrets and runner credentials never leave through the service's own outputs. The real service runs with a
 * webhook secret, an API token and a GitHub App key, against the fake GitHub (real App auth: RS256 JWTs, installation
 * tokens, one-shot JIT configs with credentials inside). A job goes through, GitHub fails some calls on the way (so the
 * error paths log too), and then every captured log line (trace level), every stored event, every file of the data
 * folder but the runner-config folder (where a JIT config waits, 0600, for its machine) and every read-API answer is
 * scanned for each secret value. Secrets are collected from where they were made (the test's key, the fake GitHub's
 * issued tokens and configs), so a leak in any encoding the scan knows is found.
 */
const APP_ID = 424242;
const INSTALLATION = 3456996; // the installation of the @octokit/webhooks-examples payloads (owner Codertocat)
const DEADLINE_MS = 10_000;

const keys = generateAppKeyPair();
let github: FakeGithub;
let s: SecureService;
const jobIds = [7_330_000_001, 7_330_000_002];

/** The PEM's base64 lines: any of them in an output is the key leaking, escaped or not. */
const keyLines = keys.privateKeyPem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));

const secretValues = (): Array<[string, string]> => [
  ['webhook secret', SECRET],
  ['API token', API_TOKEN],
  ...keyLines.map((line, i): [string, string] => [`App private key line ${String(i)}`, line]),
  ...[...github.state.tokens.keys()].map((token): [string, string] => ['installation token', token]),
  ...github.state.jitConfigs.flatMap((issued): Array<[string, string]> => {
    const credentials = (
      JSON.parse(Buffer.from(issued.encodedJitConfig, 'base64').toString('utf8')) as Record<string, unknown>
    )['.credentials'];

    return [
      [`JIT config of ${issued.runnerName}`, issued.encodedJitConfig],
      // Its first 40 characters too: a log that cut the config short still leaks a usable prefix.
      [`JIT config start of ${issued.runnerName}`, issued.encodedJitConfig.slice(0, 40)],
      [`JIT credentials of ${issued.runnerName}`, String(credentials)],
    ];
  }),
];

const expectNoSecretIn = (where: string, text: string) => {
  for (const [name, value] of secretValues()) {
    expect(text.includes(value), `${name} found in ${where}`).toBe(false);
  }
};

/** Every file of the data folder, recursively, except the runner configs (their place by design). */
const dataFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'runner-configs' ? [] : dataFiles(path);

    return [path];
  });

beforeAll(async () => {
  github = await startFakeGithub({
    appId: APP_ID,
    publicKey: keys.publicKey,
    installations: { Codertocat: INSTALLATION },
  });
  // Failures on the way, so that failure logging (with the request and its headers at hand) is exercised too.
  // Eight 500s outlast the adapter's 3 retries for both jobs: each command fails, is logged with its error (and the
  // request it made), and the bus runs it again.
  github.fail('generate-jitconfig', serverError(8));
  github.fail('create-token', serverError(1));
  s = await startSecureService({
    RUNS_FLEET_GITHUB_APP_ID: String(APP_ID),
    RUNS_FLEET_GITHUB_APP_PRIVATE_KEY: keys.privateKeyPem,
    RUNS_FLEET_GITHUB_API_URL: github.url,
    RUNS_FLEET_ALLOW_SIM_WITH_REAL_GITHUB: 'true',
  });
  for (const id of jobIds)
    expect((await s.postSigned(jobPayload('queued', id), `secret-${String(id)}`)).status).toBe(200);
  // A forged delivery and a wrong token: refusals are logged and answered too.
  const body = JSON.stringify(jobPayload('queued', 7_330_000_009));
  await s.postRaw(body, {
    ...webhookHeaders('secret-forged'),
    'x-hub-signature-256': await signatureOf(body, 'nope-nope-nope-nope'),
  });
  // Both jobs' runner configs were made (with the failures above retried or re-dispatched).
  const made = await pollUntil(
    async () => github.state.jitConfigs.length,
    (n) => n >= jobIds.length,
    DEADLINE_MS,
  );
  expect(made).toBeGreaterThanOrEqual(jobIds.length);
  const recorded = await pollUntil(
    async () => s.allEvents().filter((e) => e.type === 'RunnerConfigPrepared').length,
    (n) => n >= jobIds.length,
    DEADLINE_MS,
  );
  expect(recorded).toBeGreaterThanOrEqual(jobIds.length);
}, 30_000);

afterAll(async () => {
  await s.close();
  await github.close();
});

describe('[http] [sqlite] security: secrets and JIT configs never appear in logs, events or API answers', () => {
  it('made the secrets it scans for (the scan cannot pass for want of them)', () => {
    const names = secretValues().map(([name]) => name);
    expect(names.filter((n) => n.startsWith('JIT credentials'))).toHaveLength(github.state.jitConfigs.length);
    expect(names).toContain('installation token');
    expect(keyLines.length).toBeGreaterThan(10);
    // The failures were met (and so logged) on the way.
    expect(github.callsTo('generate-jitconfig').filter((c) => c.status === 500)).toHaveLength(8);
    expect(s.logText()).toMatch(/"err":\{.*"msg":"command failed"/);
  });

  it('logs: none of them in any line, at trace level', () => {
    expectNoSecretIn('the logs', s.logText());
  });

  it('events: none of them in any stored event (data or metadata)', () => {
    const events = s.allEvents();
    expect(events.length).toBeGreaterThan(5);
    for (const e of events) expectNoSecretIn(`${e.streamId} v${String(e.version)} ${e.type}`, `${e.data}${e.metadata}`);
  });

  it('data folder: none of them in the databases (events, views, WAL) or any other file but the runner configs', () => {
    const files = dataFiles(s.dataDir);
    expect(files.some((f) => f.endsWith('events.db'))).toBe(true);
    for (const file of files) expectNoSecretIn(relative(s.dataDir, file), readFileSync(file).toString('latin1'));
  });

  it('read API: none of them in any answer, to the token holder or to anyone', async () => {
    const bearer = { authorization: `Bearer ${API_TOKEN}` };
    const machines = (await get(`${s.url}/api/machines`)).body as { machines: Array<{ id: string }> };
    expect(machines.machines.length).toBeGreaterThanOrEqual(jobIds.length);
    const answers: Array<[string, Answer]> = [];
    const paths = [
      '/api/jobs',
      ...jobIds.map((id) => `/api/jobs/${String(id)}`),
      '/api/machines',
      '/api/pools',
      '/metrics',
      '/readyz',
      '/healthz',
      '/api/jobs/404404',
      '/no-such-route',
    ];
    for (const path of paths) answers.push([path, await get(`${s.url}${path}`, bearer)]);
    answers.push(['/api/jobs with a wrong token', await get(`${s.url}/api/jobs`, { authorization: 'Bearer x' })]);
    answers.push(['GET /webhook', await get(`${s.url}/webhook`)]);
    expect(answers.find(([path]) => path === `/api/jobs/${String(jobIds[0])}`)?.[1].status).toBe(200);
    for (const [path, answer] of answers) expectNoSecretIn(path, JSON.stringify(answer.body));
  });
});
