import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGithubAppAdapter } from '../../../adapters/github/index.js';
import { createFileRunnerConfigStore, type FileRunnerConfigStore } from '../../../adapters/runner-config-file/index.js';
import { createMemoryEventStore, type MemoryEventStore } from '../../../adapters/store-memory/index.js';
import type { Command, LaunchMachine, RerunJob } from '../../../domain/commands/commands.js';
import { parseJobLabels } from '../../../domain/labels/index.js';
import { runnerNameFor, type LaunchRequest } from '../../../domain/machine/launch-request.js';
import { evolveMachine, initialMachineState } from '../../../domain/machine/machine-state.js';
import type { GithubPort } from '../../../domain/ports/github.js';
import { INTENT, prepareConfigFor } from '../../../domain/process/command-builders.js';
import { commandIdFor } from '../../../domain/shared/command-id.js';
import { jobStreamId, machineStreamId } from '../../../domain/shared/ids.js';
import {
  generateAppKeyPair,
  startFakeGithub,
  type AppKeyPair,
  type FakeGithub,
} from '../../../test/fakes/github-server.js';
import { decideAndAppend } from '../decide-and-append.js';
import { jobDecider } from '../deciders.js';
import { executeDeregisterRunner } from './deregister-runner-executor.js';
import { executePrepareRunnerConfig } from './prepare-runner-config-executor.js';
import { executeRerunJob } from './rerun-job-executor.js';

type DeregisterRunner = Extract<Command, { type: 'DeregisterRunner' }>;

const REPO = 'acme/widgets';
const LABEL = 'runs-fleet=9000/cpu=2/arch=arm64';
const JOB_ID = '4242000001';
const at = () => '2025-01-01T00:00:00.000Z';

/** A machine stream as the launch executor leaves it: `MachineRequested` for one job attempt. */
const seedMachine = async (store: MemoryEventStore, repo: string | null = REPO) => {
  const cause = { streamId: jobStreamId(JOB_ID), version: 2 };
  const machineId = commandIdFor(cause, INTENT.launch);
  const request: LaunchRequest = {
    backend: 'ec2',
    capacity: 'spot',
    instanceTypes: ['m7g.large'],
    arch: 'arm64',
    cpu: { min: 2, max: 2 },
    ramGiB: null,
    diskGiB: null,
    label: LABEL,
    runnerName: runnerNameFor(machineId),
    pool: null,
    repo,
    jobId: JOB_ID,
    attempt: 1,
  };
  const launch: LaunchMachine = { type: 'LaunchMachine', commandId: machineId, cause, data: { machineId, request } };
  const requested = { type: 'MachineRequested', data: { machineId, command: launch } } as const;
  await store.append(machineStreamId(machineId), [{ ...requested, metadata: { at: at(), commandId: machineId } }], 0);
  const command = prepareConfigFor(evolveMachine(initialMachineState, requested, 1), undefined);
  if (command === null) throw new Error('no PrepareRunnerConfig for the seeded machine');

  return { machineId, command };
};

/** A job GitHub concluded with failure, queued through the webhook's installation (42). */
const seedCompletedJob = async (store: MemoryEventStore): Promise<RerunJob> => {
  const ref = { jobId: JOB_ID, runId: '9000', runAttempt: 1, repo: REPO };
  const meta = { at: at() };
  const queued = {
    ...ref,
    workflowName: 'ci',
    jobName: 'build',
    labels: [LABEL],
    parsed: parseJobLabels([LABEL], []),
    installationId: 42,
    queuedAt: at(),
  };
  await decideAndAppend(store, jobDecider, jobStreamId(JOB_ID), { type: 'QueueJob', data: queued }, meta);
  const completed = { ...ref, conclusion: 'failure', runnerName: null, completedAt: at() };
  await decideAndAppend(store, jobDecider, jobStreamId(JOB_ID), { type: 'CompleteJob', data: completed }, meta);
  const history = await store.read(jobStreamId(JOB_ID));
  const command: RerunJob = {
    type: 'RerunJob',
    commandId: commandIdFor({ streamId: jobStreamId(JOB_ID), version: history.length }, INTENT.rerun),
    cause: { streamId: jobStreamId(JOB_ID), version: history.length },
    data: { jobId: JOB_ID, repo: REPO },
  };

  return command;
};

/** Every stored event, as JSON. */
const allEventsJson = async (store: MemoryEventStore): Promise<string> =>
  JSON.stringify(await store.readAfter(0, 10_000));

describe('[http] GitHub executors (memory event store, fake GitHub, file runner-config store)', () => {
  let keys: AppKeyPair;
  let fake: FakeGithub;
  let github: GithubPort;
  let store: MemoryEventStore;
  let configs: FileRunnerConfigStore;
  let dataDir: string;

  beforeAll(() => {
    keys = generateAppKeyPair();
  });

  beforeEach(async () => {
    fake = await startFakeGithub({ appId: 7, publicKey: keys.publicKey, installations: { acme: 42 } });
    github = createGithubAppAdapter({
      appId: 7,
      privateKey: Buffer.from(keys.privateKeyPem).toString('base64'),
      baseUrl: fake.url,
      retry: { sleep: async () => undefined },
    });
    store = createMemoryEventStore();
    dataDir = await mkdtemp(join(tmpdir(), 'runs-fleet-exec-'));
    configs = createFileRunnerConfigStore(join(dataDir, 'runner-configs'));
  });

  afterEach(async () => {
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('PrepareRunnerConfig', () => {
    it('carried out twice: one JIT config, one event, the secret only in the 0600 file', async () => {
      const { machineId, command } = await seedMachine(store);
      const deps = { store, github, configs, at };

      await expect(executePrepareRunnerConfig(deps, command)).resolves.toEqual({
        kind: 'prepared',
        configRef: `file:${machineId}`,
      });
      await expect(executePrepareRunnerConfig(deps, command)).resolves.toEqual({ kind: 'already-prepared' });

      expect(fake.callsTo('generate-jitconfig')).toHaveLength(1);
      expect(fake.callsTo('generate-jitconfig')[0]?.body).toEqual({
        name: runnerNameFor(machineId),
        runner_group_id: 1,
        labels: [LABEL],
        work_folder: '_work',
      });
      const [issued] = fake.state.jitConfigs;
      const events = await store.read(machineStreamId(machineId));
      expect(events.map((e) => e.type)).toEqual(['MachineRequested', 'RunnerConfigPrepared']);
      expect(events[1]).toMatchObject({
        data: { runnerName: runnerNameFor(machineId), configRef: `file:${machineId}`, command },
        metadata: { commandId: command.commandId, causationId: command.commandId },
      });
      expect(await configs.get(machineId)).toEqual({
        machineId,
        runnerName: runnerNameFor(machineId),
        labels: [LABEL],
        repo: REPO,
        jobId: JOB_ID,
        encodedJitConfig: issued?.encodedJitConfig,
      });
      expect((await stat(join(configs.dir, `${machineId}.json`))).mode & 0o777).toBe(0o600);
      expect(await allEventsJson(store)).not.toContain(issued?.encodedJitConfig);
    });

    it('a concurrent duplicate records once', async () => {
      const { machineId, command } = await seedMachine(store);
      const deps = { store, github, configs, at };

      const results = await Promise.all([
        executePrepareRunnerConfig(deps, command),
        executePrepareRunnerConfig(deps, command),
      ]);

      expect(results.filter((r) => r.kind === 'prepared')).toHaveLength(1);
      const events = await store.read(machineStreamId(machineId));
      expect(events.filter((e) => e.type === 'RunnerConfigPrepared')).toHaveLength(1);
      expect(fake.state.runners(REPO).filter((r) => r.name === command.data.runnerName)).toHaveLength(1);
      const json = await allEventsJson(store);
      for (const jit of fake.state.jitConfigs) expect(json).not.toContain(jit.encodedJitConfig);
    });

    it('after a crash between GitHub and the append: recovers the runner name (409) and stores the live config', async () => {
      const { machineId, command } = await seedMachine(store);
      // The first worker got its config from GitHub, then died before storing or recording anything.
      await github.generateJitConfig({ repo: REPO, installationId: null }, command.data.runnerName, [LABEL]);

      await expect(executePrepareRunnerConfig({ store, github, configs, at }, command)).resolves.toMatchObject({
        kind: 'prepared',
      });
      expect(fake.callsTo('generate-jitconfig').map((c) => c.status)).toEqual([201, 409, 201]);
      const live = fake.state.jitConfigs[1];
      expect(fake.state.runners(REPO).map((r) => r.id)).toEqual([live?.runnerId]);
      expect((await configs.get(machineId))?.encodedJitConfig).toBe(live?.encodedJitConfig);
    });

    it('records nothing when GitHub refuses (App not installed for the owner)', async () => {
      const { machineId, command } = await seedMachine(store, 'stranger/widgets');

      await expect(executePrepareRunnerConfig({ store, github, configs, at }, command)).resolves.toMatchObject({
        kind: 'refused',
        failure: { kind: 'forbidden' },
      });
      expect((await store.read(machineStreamId(machineId))).map((e) => e.type)).toEqual(['MachineRequested']);
      await expect(configs.get(machineId)).resolves.toBeNull();
    });

    it('leaves a terminated machine alone', async () => {
      const { machineId, command } = await seedMachine(store);
      const terminated = { type: 'MachineTerminated', data: { cloudId: null, reason: 'gone', command: null } };
      await store.append(machineStreamId(machineId), [{ ...terminated, metadata: { at: at() } }], 1);

      await expect(executePrepareRunnerConfig({ store, github, configs, at }, command)).resolves.toEqual({
        kind: 'skipped',
        reason: 'machine-terminated',
      });
      expect(fake.calls).toEqual([]);
    });

    it('throws (transient) when GitHub keeps failing, and records nothing', async () => {
      const { machineId, command } = await seedMachine(store);
      fake.fail('generate-jitconfig', { status: 502, times: 4 });

      await expect(executePrepareRunnerConfig({ store, github, configs, at }, command)).rejects.toThrow(/answered 502/);
      expect(await store.read(machineStreamId(machineId))).toHaveLength(1);
    });
  });

  describe('RerunJob', () => {
    it('carried out twice: one re-run at GitHub, one JobRerunRequested, installation taken from JobQueued', async () => {
      const command = await seedCompletedJob(store);
      fake.state.seedJob({ repo: REPO, id: JOB_ID, status: 'completed', conclusion: 'failure' });
      const deps = { store, github, at };

      await expect(executeRerunJob(deps, command)).resolves.toEqual({ kind: 'requested' });
      await expect(executeRerunJob(deps, command)).resolves.toEqual({ kind: 'already-requested' });

      expect(fake.state.reruns).toEqual([{ repo: REPO, jobId: JOB_ID }]);
      expect(fake.callsTo('get-installation')).toEqual([]);
      const events = await store.read(jobStreamId(JOB_ID));
      expect(events.filter((e) => e.type === 'JobRerunRequested')).toMatchObject([
        { data: { commandId: command.commandId }, metadata: { commandId: command.commandId } },
      ]);
    });

    it('records nothing when GitHub refuses the re-run', async () => {
      const command = await seedCompletedJob(store);
      fake.state.seedJob({ repo: REPO, id: JOB_ID, status: 'in_progress' });

      await expect(executeRerunJob({ store, github, at }, command)).resolves.toMatchObject({
        kind: 'refused',
        failure: { kind: 'forbidden' },
      });
      expect((await store.read(jobStreamId(JOB_ID))).map((e) => e.type)).not.toContain('JobRerunRequested');
    });
  });

  describe('DeregisterRunner', () => {
    const deregister = (runnerName: string): DeregisterRunner => ({
      type: 'DeregisterRunner',
      commandId: 'deregister0000000000000000000000',
      cause: { streamId: 'machine#x', version: 3 },
      data: { repo: REPO, runnerName },
    });

    it('deletes the runner of that name; a second time finds nothing to do', async () => {
      for (let i = 0; i < 150; i += 1) fake.state.addRunner(REPO, { name: `other-${i}` });
      const target = fake.state.addRunner(REPO, { name: 'runs-fleet-leaked' });

      await expect(executeDeregisterRunner({ github }, deregister('runs-fleet-leaked'))).resolves.toEqual({
        kind: 'deregistered',
        runnerId: target.id,
      });
      await expect(executeDeregisterRunner({ github }, deregister('runs-fleet-leaked'))).resolves.toEqual({
        kind: 'not-registered',
      });
      expect(fake.callsTo('delete-runner').map((c) => c.path)).toEqual([`/repos/${REPO}/actions/runners/${target.id}`]);
      expect(fake.state.runners(REPO)).toHaveLength(150);
    });

    it('leaves a busy runner registered', async () => {
      const busy = fake.state.addRunner(REPO, { name: 'runs-fleet-busy', status: 'online', busy: true });

      await expect(executeDeregisterRunner({ github }, deregister('runs-fleet-busy'))).resolves.toEqual({
        kind: 'busy',
        runnerId: busy.id,
      });
      expect(fake.callsTo('delete-runner')).toEqual([]);
    });
  });
});
