import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from '../../../domain/machine/machine-decide.js';
import { githubFailureOf } from '../../../domain/ports/github.js';
import { createSimGithub } from '../sim-github.js';
import { launchCommand } from '../testing.js';
import { createSimCloudClient, createSimGithubClient, createSimParameterStoreClient } from './sim-cloud-client.js';
import { createSimCloudServer, type SimCloudServer } from './sim-cloud-server.js';

const REPO = { repo: 'acme/widgets', installationId: null };
const LABELS = ['self-hosted', 'runs-fleet/cpu=4'];

const waitFor = async (check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('[http] sim-cloud server and its clients', () => {
  let server: SimCloudServer | undefined;
  afterEach(async () => server?.close());

  const start = async (options: { github?: boolean; capacityErrorRate?: number } = {}) => {
    const reports: Array<{ machineId: string } & Observation> = [];
    server = createSimCloudServer({
      report: async (machineId, observation) => void reports.push({ machineId, ...observation }),
      seed: 5,
      bootDelayMs: 20,
      jobDurationMs: 50,
      idleTimeoutMs: 2000,
      pollIntervalMs: 10,
      interruptionNoticeMs: 20,
      ...(options.capacityErrorRate === undefined ? {} : { capacityErrorRate: options.capacityErrorRate }),
      ...(options.github === true
        ? { github: createSimGithub({ webhookUrl: null, webhookSecret: 's', seed: 5 }) }
        : {}),
    });
    const url = await server.listen(0);

    return { url, reports, compute: createSimCloudClient(url) };
  };

  it('launches, finds, stops, starts, interrupts and terminates over HTTP; the report hook gets the lifecycle', async () => {
    const { compute, reports } = await start();
    const command = launchCommand(1);
    const { machineId } = command.data;
    expect(await compute.findByCommandId(command.commandId)).toBeNull();
    const launched = await compute.launch(command);
    expect(E.isRight(launched) && launched.right).toMatchObject({
      cloudId: expect.stringMatching(/^i-[0-9a-f]{17}$/),
      capacity: 'spot',
    });
    expect(await compute.launch(command)).toEqual(launched);
    expect(await compute.findByCommandId(command.commandId)).toEqual(E.isRight(launched) ? launched.right : null);
    await waitFor(() => reports.length === 1);

    await compute.stop([machineId]);
    expect((await compute.machines())[0]?.state).toBe('stopped');
    await compute.start([machineId]);
    await waitFor(async () => (await compute.machines())[0]?.state === 'running');
    expect(await compute.interrupt(machineId)).toBe(true);
    await waitFor(async () => (await compute.machines())[0]?.state === 'terminated');
    await compute.terminate([machineId], 'again');
    expect(reports.map((r) => r.type)).toEqual([
      'MachineRunning',
      'MachineStopped',
      'MachineStarted',
      'SpotInterruptionWarned',
      'MachineTerminated',
    ]);
    expect(reports.at(-1)).toMatchObject({ machineId, data: { reason: 'spot-interruption' } });
  });

  it('answers launch failures as values and refuses a malformed command', async () => {
    const { compute, url } = await start({ capacityErrorRate: 1 });
    const failed = await compute.launch(launchCommand(2));
    expect(E.isLeft(failed) && failed.left).toMatchObject({
      errorClass: 'capacity',
      message: /^InsufficientInstanceCapacity/,
    });
    const response = await fetch(`${url}/v1/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: { type: 'LaunchMachine' } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid-body' } });
  });

  it('hosts the simulated GitHub and parameter store, so its machines run jobs for remote orchestrators', async () => {
    const { url, compute, reports } = await start({ github: true });
    const github = createSimGithubClient(url);
    const configs = createSimParameterStoreClient(url);
    const command = launchCommand(3);
    const { machineId, request } = command.data;
    await compute.launch(command);
    const jit = await github.generateJitConfig(REPO, request.runnerName, [request.label]);
    await configs.put({
      machineId,
      runnerName: request.runnerName,
      labels: [request.label],
      repo: REPO.repo,
      jobId: null,
      encodedJitConfig: jit.encodedJitConfig,
    });
    expect(await configs.get(machineId)).toMatchObject({ runnerName: request.runnerName });
    expect(await configs.get('nobody')).toBeNull();
    const job = await github.enqueue({ repo: REPO.repo, labels: LABELS });

    await waitFor(() => reports.some((r) => r.type === 'MachineTerminated'));
    expect(reports.map((r) => r.type)).toEqual(['MachineRunning', 'RunnerRegistered', 'MachineTerminated']);
    expect(reports.at(-1)).toMatchObject({ data: { reason: 'job-finished' } });
    expect(await github.getJob(REPO, job.id)).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      runnerName: request.runnerName,
    });
    expect(await github.getJob(REPO, '1')).toBeNull();
    expect(
      await github.observe({
        action: 'queued',
        workflow_job: { id: 5, run_id: 6, labels: LABELS },
        repository: { full_name: REPO.repo },
      }),
    ).toBe('added');
    expect((await github.jobs()).map((j) => j.id)).toContain('5');
    await expect(github.rerunJob(REPO, '5')).rejects.toSatisfy((e) => githubFailureOf(e)?.kind === 'forbidden');
    await github.rerunJob(REPO, job.id);
    const runners = [];
    for await (const runner of github.listRunners(REPO)) runners.push(runner);
    expect(runners).toEqual([]);
    await github.deleteRunner(REPO, 12345);
    await configs.delete(machineId);
    expect(await configs.get(machineId)).toBeNull();
  });
});
