import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, sleep, spawnCli, type CliChild } from './e2e-helpers.js';

/**
 * `runs-fleet demo` as a newcomer runs it, in a real child process: with nothing answering at --url it starts the
 * embedded service in its own process (simulated cloud and GitHub), sends its workload of signed webhooks and follows
 * every job to a terminal status; against a running `runs-fleet serve` it uses that service and its data folder's
 * generated webhook secret.
 */
const dirs: string[] = [];
const children: CliChild[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-e2e-demo-'));
  dirs.push(dir);

  return dir;
};

const VALID = ['build (1)', 'build (2)', 'build (3)', 'integration', 'lint'];

const run = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawnCli(args, env);
  children.push(child);
  const exit = await child.exited;

  return { ...exit, output: child.output() };
};

/** The last status line the demo printed for a job: `<elapsed>  <name padded to 12> <status> …`. */
const lastStatus = (output: string, name: string): string | undefined =>
  output
    .split('\n')
    .filter((line) => line.includes(` ${name.padEnd(12)} `) && !line.includes('queued webhook'))
    .at(-1)
    ?.split(` ${name.padEnd(12)} `)[1]
    ?.trim();

const expectEveryJobFinished = (output: string) => {
  for (const name of VALID) {
    expect(output).toMatch(new RegExp(`${name.replace(/[()]/g, '\\$&')} +queued webhook → HTTP 200 `));
    // `completed`, whatever GitHub's conclusion: the three `build` jobs share a label and may take each other's
    // runners, and then one may conclude `failure` (the sibling bug of service.spec.ts's known bugs).
    expect(lastStatus(output, name), name).toMatch(/^completed {2}\(conclusion (success|failure)\b/);
  }
  expect(lastStatus(output, 'typo')).toMatch(/^rejected {2}\(cpu=lots: .+\)$/);
  expect(output).toMatch(/6\/6 jobs finished in \+\d+\.\ds/);
  expect(output).not.toContain('not recorded');
};

afterAll(async () => {
  for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('[http] [sqlite] runs-fleet demo in a child process', () => {
  it('starts the embedded service when nothing answers and takes every job to a terminal status', async () => {
    const dir = tempDir();
    const port = await freePort();
    const result = await run([
      'demo',
      '--url',
      `http://127.0.0.1:${String(port)}`,
      '--data-dir',
      dir,
      '--timeout',
      '60',
    ]);

    expect(result, result.output).toMatchObject({ code: 0, signal: null });
    expect(result.output).toContain(
      `no service answers at http://127.0.0.1:${String(port)}; starting one in this process`,
    );
    expectEveryJobFinished(result.output);
    // The way there was shown: each valid job was seen running before it completed.
    for (const name of VALID) expect(result.output).toMatch(new RegExp(`${name.replace(/[()]/g, '\\$&')} +running`));

    // The generated webhook secret: a 0600 file in the data folder, whose value is printed nowhere.
    const secretFile = join(dir, 'webhook-secret');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(result.output).not.toContain(secret);
  }, 40_000);

  it('uses a running `runs-fleet serve` and the secret it generated in its data folder', async () => {
    const dir = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${String(port)}`;
    const serve = spawnCli(['serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dir], {
      RUNS_FLEET_SIM_BOOT_DELAY_MS: '200',
      RUNS_FLEET_SIM_JOB_DURATION_MS: '300',
      RUNS_FLEET_LOG_LEVEL: 'warn',
    });
    children.push(serve);
    const deadline = Date.now() + 20_000;
    while (
      (await fetch(`${url}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline || serve.child.exitCode !== null)
        throw new Error(`serve not ready:\n${serve.output()}`);
      await sleep(25);
    }

    const result = await run(['demo', '--url', url, '--data-dir', dir, '--timeout', '60']);
    expect(result, result.output).toMatchObject({ code: 0, signal: null });
    expect(result.output).not.toContain('no service answers');
    expectEveryJobFinished(result.output);

    // The jobs are the service's: it still answers for them after the demo has gone.
    const jobs = (await (await fetch(`${url}/api/jobs`)).json()) as { jobs: Array<{ status: string }> };
    expect(jobs.jobs.map((j) => j.status).sort()).toEqual([...Array(5).fill('completed'), 'rejected']);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    // serve logs the PATH of the generated secret, never its value.
    const secret = readFileSync(join(dir, 'webhook-secret'), 'utf8').trim();
    expect(serve.output()).toContain(join(dir, 'webhook-secret'));
    expect(serve.output()).not.toContain(secret);
  }, 40_000);
});

/** The demo reads the webhook secret exactly as `serve` does (handlers/serve/webhook-secret.ts). */
describe('[http] [sqlite] runs-fleet demo: the webhook secret', () => {
  it('honours the alias RUNS_FLEET_GITHUB_WEBHOOK_SECRET that serve accepts', async () => {
    const port = await freePort();
    const result = await run(
      ['demo', '--url', `http://127.0.0.1:${String(port)}`, '--data-dir', tempDir(), '--timeout', '30'],
      { RUNS_FLEET_GITHUB_WEBHOOK_SECRET: 'alias-secret-0123456789abcdef' },
    );
    expect(result, result.output).toMatchObject({ code: 0, signal: null });
    expectEveryJobFinished(result.output);
  }, 40_000);

  it('treats an empty RUNS_FLEET_WEBHOOK_SECRET as unset, as serve does', async () => {
    const port = await freePort();
    const result = await run(
      ['demo', '--url', `http://127.0.0.1:${String(port)}`, '--data-dir', tempDir(), '--timeout', '30'],
      { RUNS_FLEET_WEBHOOK_SECRET: '' },
    );
    expect(result, result.output).toMatchObject({ code: 0, signal: null });
    expectEveryJobFinished(result.output);
  }, 40_000);
});
