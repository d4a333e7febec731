import * as E from 'fp-ts/lib/Either.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProvisionCommand } from '../../domain/commands/commands.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import { createSimCloud, type SimCloudOptions } from './sim-cloud.js';
import { createSimGithub, labelsMatch, type SimGithub } from './sim-github.js';
import { createSimParameterStore } from './sim-parameter-store.js';
import type { SimLogger } from './sim-log.js';
import { launchCommand } from './testing.js';

type Reported = { readonly machineId: string } & Observation;

const REPO = { repo: 'acme/widgets', installationId: null };
const LABELS = ['self-hosted', 'runs-fleet/cpu=4'];

const recordingLogger = () => {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  const write = (obj: object, msg: string) => void lines.push({ ...(obj as Record<string, unknown>), msg });
  const logger: SimLogger = { info: write, warn: write, error: write };

  return { lines, logger };
};

const setup = (options: Partial<SimCloudOptions> = {}) => {
  const reports: Reported[] = [];
  const github = createSimGithub({ webhookUrl: null, webhookSecret: 'sim-secret', seed: 1 });
  const configs = createSimParameterStore();
  const { lines, logger } = recordingLogger();
  const cloud = createSimCloud({
    report: async (machineId, observation) => void reports.push({ machineId, ...observation }),
    runnerConfigs: configs,
    github,
    logger,
    seed: 42,
    bootDelayMs: 1000,
    jobDurationMs: 3000,
    jobJitter: 0,
    idleTimeoutMs: 10_000,
    pollIntervalMs: 100,
    ...options,
  });
  const typesOf = (command: ProvisionCommand) =>
    reports.filter((r) => r.machineId === command.data.machineId).map((r) => r.type);
  const machine = (command: ProvisionCommand) => cloud.machines().find((m) => m.machineId === command.data.machineId);

  return { cloud, github, configs, reports, lines, typesOf, machine };
};

/** What PrepareRunnerConfig does: a JIT config from GitHub, stored for the machine's agent. */
const configure = async (
  github: SimGithub,
  configs: ReturnType<typeof createSimParameterStore>,
  command: ProvisionCommand,
): Promise<void> => {
  const { machineId, request } = command.data;
  const jit = await github.generateJitConfig(REPO, request.runnerName, [request.label]);
  await configs.put({
    machineId,
    runnerName: request.runnerName,
    labels: [request.label],
    repo: REPO.repo,
    jobId: request.jobId,
    encodedJitConfig: jit.encodedJitConfig,
  });
};

describe('simulated cloud', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('boots a machine, whose agent registers, takes a label-matched job, runs it and terminates the machine', async () => {
    const { cloud, github, configs, reports, typesOf, machine } = setup();
    const command = launchCommand(1);
    const launched = await cloud.launch(command);
    expect(E.isRight(launched) && launched.right).toMatchObject({ capacity: 'spot', instanceType: 'c7g.xlarge' });
    expect(machine(command)?.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(999);
    expect(reports).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(typesOf(command)).toEqual(['MachineRunning']);

    await configure(github, configs, command);
    const job = github.enqueue({ repo: REPO.repo, labels: LABELS });
    await vi.advanceTimersByTimeAsync(100);
    expect(typesOf(command)).toEqual(['MachineRunning', 'RunnerRegistered']);
    expect(github.jobs().find((j) => j.id === job.id)).toMatchObject({
      status: 'in_progress',
      runnerName: command.data.request.runnerName,
    });
    expect(machine(command)?.jobId).toBe(job.id);

    await vi.advanceTimersByTimeAsync(3000);
    expect(github.jobs().find((j) => j.id === job.id)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(reports.at(-1)).toMatchObject({ type: 'MachineTerminated', data: { reason: 'job-finished' } });
    expect(machine(command)).toMatchObject({ state: 'terminated', terminationReason: 'job-finished', jobId: null });
    // The ephemeral runner is gone at GitHub once its job is done.
    expect(github.runners()).toEqual([]);
    cloud.close();
  });

  it("dispatches by labels, as GitHub does: a runner takes the oldest matching job, which may be a sibling's", async () => {
    const { cloud, github, configs, machine, lines } = setup();
    const first = launchCommand(1);
    const second = launchCommand(2);
    await cloud.launch(first);
    await cloud.launch(second);
    const foreign = github.enqueue({ repo: REPO.repo, labels: ['self-hosted', 'runs-fleet/cpu=8'] });
    const jobA = github.enqueue({ repo: REPO.repo, labels: LABELS });
    const jobB = github.enqueue({ repo: REPO.repo, labels: LABELS });
    await vi.advanceTimersByTimeAsync(1000);

    // The second machine is configured first and takes the oldest matching job: the first machine's.
    await configure(github, configs, second);
    await vi.advanceTimersByTimeAsync(100);
    expect(machine(second)?.jobId).toBe(jobA.id);
    await configure(github, configs, first);
    await vi.advanceTimersByTimeAsync(100);
    expect(machine(first)?.jobId).toBe(jobB.id);
    expect(github.jobs().find((j) => j.id === foreign.id)?.status).toBe('queued');
    expect(lines.some((l) => l.msg.includes("sibling's job"))).toBe(true);
    cloud.close();
  });

  it('matches labels like GitHub: case-insensitive, self-hosted implied, extra runner labels allowed', () => {
    expect(labelsMatch(['self-hosted', 'Runs-Fleet/cpu=4'], ['runs-fleet/cpu=4'])).toBe(true);
    expect(labelsMatch(['runs-fleet/cpu=4'], ['runs-fleet/cpu=4', 'linux'])).toBe(true);
    expect(labelsMatch(['runs-fleet/cpu=4', 'linux'], ['runs-fleet/cpu=4'])).toBe(false);
    expect(labelsMatch(['self-hosted'], [])).toBe(true);
  });

  it('launches once per commandId, like EC2 ClientToken, and finds machines by their commandId tag', async () => {
    const { cloud, machine } = setup();
    const command = launchCommand(1);
    expect(await cloud.findByCommandId(command.commandId)).toBeNull();
    const first = await cloud.launch(command);
    const second = await cloud.launch(command);
    expect(second).toEqual(first);
    expect(cloud.machines()).toHaveLength(1);
    expect(machine(command)?.tags).toMatchObject({ 'runs-fleet:command-id': command.commandId });
    expect(await cloud.findByCommandId(command.commandId)).toEqual(E.isRight(first) ? first.right : null);
    await cloud.terminate([command.data.machineId], 'test');
    expect(await cloud.launch(command)).toEqual(first);
    expect(cloud.machines()).toHaveLength(1);
    cloud.close();
  });

  it('with ignoreClientToken, launches again for a known commandId, as the emulators do; terminate reaches both', async () => {
    const { cloud } = setup({ ignoreClientToken: true });
    const command = launchCommand(1);
    const first = await cloud.launch(command);
    const second = await cloud.launch(command);
    expect(E.isRight(first) && E.isRight(second) && first.right.cloudId !== second.right.cloudId).toBe(true);
    expect(cloud.machines().map((m) => [m.commandId, m.requestedFor])).toEqual([
      [command.commandId, { jobId: '1001', attempt: 1 }],
      [command.commandId, { jobId: '1001', attempt: 1 }],
    ]);
    // The lookup answers the first machine, as a tag search answers the oldest instance.
    expect(await cloud.findByCommandId(command.commandId)).toEqual(E.isRight(first) ? first.right : null);
    await cloud.terminate([command.data.machineId], 'test');
    expect(cloud.machines().map((m) => m.state)).toEqual(['terminated', 'terminated']);
    cloud.close();
  });

  it('refuses spot launches for capacity by configuration, the same way twice with the same seed', async () => {
    const outcomes = async (seed: number) => {
      const cloud = createSimCloud({ report: async () => undefined, seed, capacityErrorRate: 0.5 });
      const results = [];
      for (let n = 0; n < 20; n += 1) results.push(await cloud.launch(launchCommand(n)));
      cloud.close();

      return results;
    };
    const once = await outcomes(7);
    expect(await outcomes(7)).toEqual(once);
    expect(await outcomes(8)).not.toEqual(once);
    const failures = once.filter(E.isLeft).map((r) => r.left);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.length).toBeLessThan(20);
    for (const failure of failures) {
      expect(failure).toMatchObject({ errorClass: 'capacity', typesTried: ['c7g.xlarge', 'm7g.xlarge'] });
      expect(failure.message).toMatch(/^InsufficientInstanceCapacity: /);
    }
  });

  it('refuses configured types for capacity, spot or on-demand, and never refuses on-demand by the spot rate', async () => {
    const { cloud } = setup({ capacityErrorRate: 1, refuseTypes: ['c7g.xlarge'] });
    const onDemand = await cloud.launch(launchCommand(1, { capacity: 'on-demand' }));
    expect(E.isRight(onDemand) && onDemand.right.instanceType).toBe('m7g.xlarge');
    const spot = await cloud.launch(launchCommand(2));
    expect(E.isLeft(spot) && spot.left.errorClass).toBe('capacity');
    const allRefused = await cloud.launch(launchCommand(3, { capacity: 'on-demand', instanceTypes: ['c7g.xlarge'] }));
    expect(E.isLeft(allRefused) && allRefused.left).toMatchObject({
      errorClass: 'capacity',
      typesTried: ['c7g.xlarge'],
      message: expect.stringMatching(/^InsufficientInstanceCapacity: We currently do not have sufficient c7g\.xlarge/),
    });
    cloud.close();
  });

  it('throttles launches by configuration', async () => {
    const { cloud } = setup({ throttleRate: 1 });
    const result = await cloud.launch(launchCommand(1));
    expect(E.isLeft(result) && result.left).toMatchObject({
      errorClass: 'throttled',
      message: /^RequestLimitExceeded/,
    });
    cloud.close();
  });

  it('terminates a machine whose runner is never configured, and one whose runner gets no job', async () => {
    const { cloud, github, configs, reports, typesOf } = setup();
    const unconfigured = launchCommand(1);
    const idle = launchCommand(2);
    await cloud.launch(unconfigured);
    await cloud.launch(idle);
    await configure(github, configs, idle);
    await vi.advanceTimersByTimeAsync(1000 + 10_000 + 100);
    expect(typesOf(unconfigured)).toEqual(['MachineRunning', 'MachineTerminated']);
    expect(typesOf(idle)).toEqual(['MachineRunning', 'RunnerRegistered', 'MachineTerminated']);
    const reasons = reports.filter((r) => r.type === 'MachineTerminated').map((r) => r.data);
    expect(reasons).toEqual([
      expect.objectContaining({ reason: 'runner-never-configured' }),
      expect.objectContaining({ reason: 'runner-idle' }),
    ]);
    // The idle runner's registration stays behind, offline (SPEC lesson 12).
    expect(github.runners()).toEqual([expect.objectContaining({ status: 'offline', busy: false })]);
    cloud.close();
  });

  it('interrupts a spot machine: a warning, termination after the notice, and GitHub concludes its job failed', async () => {
    const { cloud, github, configs, reports, typesOf, machine } = setup({ interruptionNoticeMs: 2000 });
    const command = launchCommand(1);
    await cloud.launch(command);
    await configure(github, configs, command);
    const job = github.enqueue({ repo: REPO.repo, labels: LABELS });
    await vi.advanceTimersByTimeAsync(1100);
    expect(machine(command)?.jobId).toBe(job.id);

    expect(await cloud.interrupt(command.data.machineId)).toBe(true);
    expect(await cloud.interrupt(command.data.machineId)).toBe(false);
    expect(reports.at(-1)).toMatchObject({ type: 'SpotInterruptionWarned', data: { kind: 'spot-interruption' } });
    await vi.advanceTimersByTimeAsync(1999);
    expect(machine(command)?.state).toBe('running');
    await vi.advanceTimersByTimeAsync(1);
    expect(typesOf(command)).toEqual([
      'MachineRunning',
      'RunnerRegistered',
      'SpotInterruptionWarned',
      'MachineTerminated',
    ]);
    expect(reports.at(-1)).toMatchObject({ data: { reason: 'spot-interruption' } });
    expect(github.jobs()[0]).toMatchObject({ id: job.id, status: 'completed', conclusion: 'failure' });
    cloud.close();
  });

  it('does not interrupt on-demand machines; a pod gets a node disruption', async () => {
    const { cloud, reports } = setup();
    const onDemand = launchCommand(1, { capacity: 'on-demand' });
    const pod = launchCommand(2, {}, 'CreateRunnerPod');
    await cloud.launch(onDemand);
    await cloud.launch(pod);
    expect(await cloud.interrupt(onDemand.data.machineId)).toBe(false);
    expect(await cloud.interrupt(pod.data.machineId)).toBe(true);
    expect(reports).toEqual([
      expect.objectContaining({
        type: 'SpotInterruptionWarned',
        data: expect.objectContaining({ kind: 'node-disruption' }),
      }),
    ]);
    cloud.close();
  });

  it('interrupts spot machines by configuration, at a moment inside their job', async () => {
    const { cloud, github, configs, typesOf, reports } = setup({ spotInterruptionRate: 1, interruptionNoticeMs: 0 });
    const command = launchCommand(1);
    await cloud.launch(command);
    await configure(github, configs, command);
    github.enqueue({ repo: REPO.repo, labels: LABELS });
    await vi.advanceTimersByTimeAsync(1100 + 3000);
    expect(typesOf(command)).toEqual([
      'MachineRunning',
      'RunnerRegistered',
      'SpotInterruptionWarned',
      'MachineTerminated',
    ]);
    expect(reports.at(-1)).toMatchObject({ data: { reason: 'spot-interruption' } });
    expect(github.jobs()[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    cloud.close();
  });

  it('stops and starts machines, reporting each transition', async () => {
    const { cloud, typesOf, machine } = setup();
    const command = launchCommand(1);
    await cloud.launch(command);
    await vi.advanceTimersByTimeAsync(1000);
    await cloud.stop([command.data.machineId]);
    expect(machine(command)?.state).toBe('stopped');
    await cloud.start([command.data.machineId, 'unknown']);
    expect(machine(command)?.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1000);
    expect(typesOf(command)).toEqual(['MachineRunning', 'MachineStopped', 'MachineStarted']);
    cloud.close();
  });

  it('reports a termination once, and ignores unknown machines', async () => {
    const { cloud, reports } = setup();
    const command = launchCommand(1);
    await cloud.launch(command);
    await cloud.terminate([command.data.machineId, 'unknown'], 'not-needed');
    await cloud.terminate([command.data.machineId], 'again');
    expect(reports).toEqual([
      {
        machineId: command.data.machineId,
        type: 'MachineTerminated',
        data: expect.objectContaining({ reason: 'not-needed' }),
      },
    ]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(reports).toHaveLength(1);
    cloud.close();
  });

  it('retries a failing report with backoff, then logs and drops it', async () => {
    const calls: string[] = [];
    let failures = 2;
    const { logger, lines } = recordingLogger();
    const cloud = createSimCloud({
      logger,
      seed: 1,
      reportRetry: { attempts: 3, baseMs: 100 },
      report: async (_id, observation) => {
        calls.push(observation.type);
        if (failures-- > 0) throw new Error('store unavailable');
      },
    });
    await cloud.launch(launchCommand(1));
    await cloud.terminate([launchCommand(1).data.machineId], 'test');
    await vi.advanceTimersByTimeAsync(100 + 200);
    await cloud.settled();
    expect(calls).toEqual(['MachineTerminated', 'MachineTerminated', 'MachineTerminated']);

    failures = 10;
    await cloud.launch(launchCommand(2));
    await cloud.terminate([launchCommand(2).data.machineId], 'test');
    await vi.advanceTimersByTimeAsync(1000);
    await cloud.settled();
    expect(calls).toHaveLength(6);
    expect(lines.at(-1)).toMatchObject({ sim: true, msg: 'lifecycle report dropped after retries' });
    cloud.close();
  });

  it('says it is a simulation on every log line', async () => {
    const { cloud, github, configs, lines } = setup();
    const command = launchCommand(1);
    await cloud.launch(command);
    await configure(github, configs, command);
    github.enqueue({ repo: REPO.repo, labels: LABELS });
    await vi.advanceTimersByTimeAsync(5000);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((line) => line['sim'] === true)).toBe(true);
    expect(lines[0]?.msg).toMatch(/SIMULATED/);
    cloud.close();
  });

  it('stops everything on close: no timer fires, nothing is reported', async () => {
    const { cloud, reports } = setup();
    await cloud.launch(launchCommand(1));
    cloud.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(reports).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
