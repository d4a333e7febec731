import type { LaunchMachine } from '../../domain/commands/commands.js';
import { DEFAULT_HOUSEKEEPING_SETTINGS, type HousekeepingSettings } from '../../domain/housekeeping/index.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { GithubJob, GithubPort, GithubRunner } from '../../domain/ports/github.js';
import { commandIdFor } from '../../domain/shared/command-id.js';
import { jobStreamId, machineStreamId, poolStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { silentLogger, type HousekeepingDeps } from '../../handlers/housekeeping/index.js';
import type { JobSpec } from '../../domain/labels/index.js';
import type { ReadModels } from '../../projections/read-models.js';
import { createWorld, type JobInput, type World } from '../world/world.js';

/**
 * The housekeeping test bench: the in-memory world (real pipeline, process rules and executors), a GitHub whose jobs
 * and runners the test sets, helpers that put pool members and pools on the record, and deps wired to all of it.
 */
export const LABEL = 'runs-fleet=1/cpu=2/arch=arm64';
export const job = (jobId: string): JobInput => ({ jobId, labels: [LABEL], repo: 'acme/widgets' });
export const MINUTE = 60_000;

export interface TestGithub extends GithubPort {
  readonly jobs: Map<string, GithubJob | 'refuse'>;
  readonly runners: GithubRunner[];
  readonly deleted: number[];
  readonly calls: string[];
}

export const createTestGithub = (): TestGithub => {
  const jobs = new Map<string, GithubJob | 'refuse'>();
  const runners: GithubRunner[] = [];
  const deleted: number[] = [];
  const calls: string[] = [];

  return {
    jobs,
    runners,
    deleted,
    calls,
    generateJitConfig: async (_ref, runnerName) => ({ runnerId: 1, runnerName, encodedJitConfig: 'jit' }),
    getJob: async (_ref, jobId) => {
      calls.push(`getJob ${jobId}`);
      const answer = jobs.get(jobId);
      if (answer === 'refuse') throw new Error('GitHub is down');

      return answer ?? null;
    },
    rerunJob: async () => undefined,
    listRunners: async function* () {
      calls.push('listRunners');
      yield* runners.map((runner) => ({ ...runner }));
    },
    deleteRunner: async (_ref, runnerId) => {
      calls.push(`deleteRunner ${runnerId}`);
      deleted.push(runnerId);
      const at = runners.findIndex((runner) => runner.id === runnerId);
      if (at >= 0) runners.splice(at, 1);
    },
  };
};

export const settings = (overrides: Partial<HousekeepingSettings> = {}): HousekeepingSettings => ({
  ...DEFAULT_HOUSEKEEPING_SETTINGS,
  ...overrides,
});

export interface Bench {
  readonly world: World;
  readonly github: TestGithub;
  deps(overrides?: Partial<HousekeepingDeps>): HousekeepingDeps;
}

export const createBench = (): Bench => {
  const world = createWorld();
  const github = createTestGithub();

  return {
    world,
    github,
    deps: (overrides = {}) => ({
      store: world.store,
      compute: world.compute,
      github,
      views: async () => world.models,
      now: () => world.clock.now(),
      settings: settings(),
      logger: silentLogger,
      ...overrides,
    }),
  };
};

/** A machine id as the pool reconciler would derive one. */
export const poolMachineId = (pool: string, n: number): string =>
  commandIdFor({ streamId: poolStreamId(pool), version: n }, 'launch-pool-member');

const launchRequestFor = (machineId: string, pool: string | null) => ({
  backend: 'ec2' as const,
  capacity: 'on-demand' as const,
  instanceTypes: ['c7g.large'],
  arch: 'arm64' as const,
  cpu: { min: 2, max: 4 },
  ramGiB: null,
  diskGiB: null,
  label: pool === null ? LABEL : `runs-fleet/pool=${pool}`,
  runnerName: runnerNameFor(machineId),
  pool,
  repo: null,
  jobId: null,
  attempt: null,
});

/** A machine launched under our tags that no stream of ours names (a crashed deployment, an expired stream). */
export const launchStranger = async (compute: ComputePort, n: number): Promise<string> => {
  const machineId = commandIdFor({ streamId: `job#${String(n)}`, version: 1 }, 'launch-runner');
  const command: LaunchMachine = {
    type: 'LaunchMachine',
    commandId: machineId,
    cause: { streamId: `job#${String(n)}`, version: 1 },
    data: { machineId, request: launchRequestFor(machineId, null) },
  };
  const launched = await compute.launch(command);
  if (launched._tag === 'Left') throw new Error(launched.left.message);

  return machineId;
};

/** Records (and launches on the fake cloud) an unclaimed pool member, optionally stopped. */
export const addPoolMember = async (
  world: World,
  pool: string,
  n: number,
  options: { readonly stopped?: boolean; readonly compute?: ComputePort } = {},
): Promise<string> => {
  const machineId = poolMachineId(pool, n);
  const command: LaunchMachine = {
    type: 'LaunchMachine',
    commandId: machineId,
    cause: { streamId: poolStreamId(pool), version: n },
    data: {
      machineId,
      request: launchRequestFor(machineId, pool),
    },
  };
  const compute = options.compute ?? world.compute;
  const launched = await compute.launch(command);
  if (launched._tag === 'Left') throw new Error(launched.left.message);
  const at = world.clock.now();
  const events = [
    { type: 'MachineRequested', data: { machineId, command }, metadata: { at } },
    {
      type: 'MachineLaunched',
      data: { ...launched.right, adopted: false, command },
      metadata: { at, commandId: machineId },
    },
    { type: 'MachineRunning', data: { cloudId: launched.right.cloudId }, metadata: { at } },
    ...(options.stopped === true
      ? [{ type: 'MachineStopped', data: { cloudId: launched.right.cloudId }, metadata: { at } }]
      : []),
  ];
  await append(world.store, machineStreamId(machineId), events);
  if (options.stopped === true) await compute.stop([machineId]);
  await world.settle();

  return machineId;
};

export const configurePool = async (world: World, pool: string): Promise<void> => {
  await append(world.store, poolStreamId(pool), [
    {
      type: 'PoolConfigured',
      data: {
        name: pool,
        label: `runs-fleet/pool=${pool}`,
        desiredRunning: 0,
        desiredStopped: 1,
        idleTimeoutMinutes: 10,
        schedules: [],
        ephemeral: false,
        timeZone: null,
      },
      metadata: { at: world.clock.now() },
    },
  ]);
  await world.settle();
};

export const removePool = async (world: World, pool: string): Promise<void> => {
  await append(world.store, poolStreamId(pool), [
    { type: 'PoolRemoved', data: { name: pool, reason: 'removed by test' }, metadata: { at: world.clock.now() } },
  ]);
  await world.settle();
};

const append = async (
  store: EventStore,
  streamId: string,
  events: ReadonlyArray<{ type: string; data: unknown; metadata: { at: string; commandId?: string } }>,
): Promise<void> => {
  const head = (await store.read(streamId)).at(-1)?.version ?? 0;
  const result = await store.append(streamId, events, head);
  if (result._tag === 'Left') throw new Error(`append to ${streamId} conflicted`);
};

/** Queues a job and lets the world launch its machine; returns the machine id. */
export const queueJob = async (world: World, jobId: string): Promise<string> => {
  await world.queued(job(jobId));
  await world.settle();
  const machineId = world.models.job(jobId)?.machineId;
  if (machineId === undefined || machineId === null) throw new Error(`job ${jobId} got no machine`);

  return machineId;
};

export const machineOf = (models: ReadModels, machineId: string) => {
  const machine = models.machine(machineId);
  if (machine === undefined) throw new Error(`no machine ${machineId}`);

  return machine;
};

/**
 * What another orchestrator does between housekeeping's decision and its act: queues job 55 (with `spec`) and claims
 * the stopped pool member for it, appending right after the member's last event.
 */
export const claimMemberForJob55 = async (
  world: World,
  member: string,
  pool: string,
  spec: JobSpec | null,
): Promise<void> => {
  const at = world.clock.now();
  const queued = {
    jobId: '55',
    runId: '1',
    runAttempt: 1,
    repo: 'acme/widgets',
    workflowName: null,
    jobName: null,
    labels: ['x'],
    spec,
    installationId: null,
    queuedAt: null,
  };
  await world.store.append(
    jobStreamId('55'),
    [
      { type: 'JobQueued', data: queued, metadata: { at } },
      { type: 'RunnerRequested', data: { attempt: 1, capacity: 'on-demand' }, metadata: { at } },
    ],
    0,
  );
  const head = (await world.store.read(machineStreamId(member))).length;
  const claimed = {
    jobId: '55',
    attempt: 1,
    runnerName: runnerNameFor(member),
    label: 'x',
    repo: 'acme/widgets',
    pool,
  };
  await world.store.append(
    machineStreamId(member),
    [{ type: 'MachineClaimed', data: claimed, metadata: { at } }],
    head,
  );
};
