import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhooks } from '@octokit/webhooks';
import { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSimCloudClient,
  createSimGithubClient,
  createSimParameterStoreClient,
} from '../../adapters/sim/index.js';
import { launchCommand } from '../../adapters/sim/testing.js';
import { openSqliteEventStore, type SqliteEventStore } from '../../adapters/store-sqlite/index.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import { executeLaunch } from '../app/executors/launch-executor.js';
import { WorkflowJobPayload } from '../webhook/workflow-job-payload.js';
import { EXIT_REFUSED, registerSimCloudCommand } from './sim-cloud-command.js';

const SECRET = 'sim-cloud-command-secret';
const REPO = { repo: 'acme/widgets', installationId: null };

interface Verified {
  readonly verified: boolean;
  readonly decoded: boolean;
  readonly action: string;
}

/** The service's side of the loop: a real receiver that checks signatures and decodes payloads as /webhook does. */
const startReceiver = async () => {
  const verifier = new Webhooks({ secret: SECRET });
  const received: Verified[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      void verifier.verify(body, String(request.headers['x-hub-signature-256'])).then((verified) => {
        const decoded = WorkflowJobPayload.decode(JSON.parse(body));
        received.push({
          verified,
          decoded: E.isRight(decoded),
          action: E.isRight(decoded) ? decoded.right.action : '',
        });
        response.writeHead(verified ? 200 : 401).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/webhook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const waitFor = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const runCommand = (args: ReadonlyArray<string>) => {
  let exitCode = 0;
  let stop: () => void = () => undefined;
  const stderr: string[] = [];
  const stdout: string[] = [];
  let listening: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const program = new Command('runs-fleet').exitOverride();
  registerSimCloudCommand(program, {
    stdout: (text) => void stdout.push(text),
    stderr: (text) => void stderr.push(text),
    setExitCode: (code) => (exitCode = code),
    untilShutdown: () => new Promise<void>((resolve) => (stop = resolve)),
    onListening: (address) => listening(address),
  });
  const done = program.parseAsync(['sim-cloud', ...args], { from: 'user' });

  return { url, done, stop: () => stop(), exitCode: () => exitCode, stderr, stdout };
};

describe('[http] [sqlite] runs-fleet sim-cloud', () => {
  let dir: string;
  let store: SqliteEventStore;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-cloud-command-'));
    store = await openSqliteEventStore(join(dir, 'events.db'));
    receiver = await startReceiver();
    await writeFile(join(dir, 'webhook-secret'), `${SECRET}\n`, { mode: 0o600 });
  });
  afterEach(async () => {
    await receiver.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the simulated cloud to a remote orchestrator, appends lifecycle facts to --store, and its GitHub posts verifiable webhooks', async () => {
    const run = runCommand([
      '--port',
      '0',
      '--boot-delay-ms',
      '10',
      '--job-duration-ms',
      '30',
      '--seed',
      '9',
      '--store',
      `sqlite:${join(dir, 'events.db')}`,
      '--webhook-url',
      receiver.url,
      '--webhook-secret-file',
      join(dir, 'webhook-secret'),
    ]);
    const url = await run.url;
    const compute = createSimCloudClient(url);
    const github = createSimGithubClient(url);
    const configs = createSimParameterStoreClient(url);
    const command = launchCommand(1);
    const { machineId, request } = command.data;

    // The orchestrator's launch executor, against the remote simulated cloud.
    expect(await executeLaunch(store, compute, command, () => new Date().toISOString())).toBe('launched');
    const jit = await github.generateJitConfig(REPO, request.runnerName, [request.label]);
    await configs.put({
      machineId,
      runnerName: request.runnerName,
      labels: [request.label],
      repo: REPO.repo,
      jobId: request.jobId,
      encodedJitConfig: jit.encodedJitConfig,
    });
    await github.enqueue({ repo: REPO.repo, labels: ['self-hosted', request.label] });

    const types = async () => (await store.read(machineStreamId(machineId))).map((e) => e.type);
    await waitFor(async () => (await types()).includes('MachineTerminated'));
    expect(await types()).toEqual([
      'MachineRequested',
      'MachineLaunched',
      'MachineRunning',
      'RunnerRegistered',
      'MachineTerminated',
    ]);
    const terminated = (await store.read(machineStreamId(machineId))).at(-1);
    expect(terminated?.data).toMatchObject({ reason: 'job-finished', command: null });

    await waitFor(() => receiver.received.length === 3);
    expect(receiver.received).toEqual([
      { verified: true, decoded: true, action: 'queued' },
      { verified: true, decoded: true, action: 'in_progress' },
      { verified: true, decoded: true, action: 'completed' },
    ]);
    run.stop();
    await run.done;
    expect(run.exitCode()).toBe(0);
    const logLines = run.stdout
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logLines.every((line) => line['sim'] === true)).toBe(true);
    expect(run.stdout.join('')).not.toContain(SECRET);
  });

  it('refuses a bad store URL, a missing SQLite store and a webhook URL without its secret file', async () => {
    for (const args of [
      ['--store', 'events.db'],
      ['--store', `sqlite:${join(dir, 'missing.db')}`],
      ['--webhook-url', receiver.url],
      ['--webhook-url', receiver.url, '--webhook-secret-file', join(dir, 'absent')],
    ]) {
      const run = runCommand(['--port', '0', ...args]);
      await run.done;
      expect(run.exitCode()).toBe(EXIT_REFUSED);
      expect(run.stderr.join('')).toMatch(/^runs-fleet sim-cloud: /);
    }
  });
});
