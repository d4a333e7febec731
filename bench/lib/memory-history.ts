/**
 * The store the memory benchmark loads: N active jobs and M idle warm-pool members, as the real in-memory world
 * records them (test/world). An active job is queued, its machine launched, configured, running and registered, and
 * the job started on it (a running job, the longest-lived active state). A pool member is a machine launched by a
 * LaunchMachine for pool `default` with no job (as the pool reconciler sends it), running with its runner registered
 * and idle. Each template is recorded once and cloned with fresh job and machine ids (the machine id derives from the
 * job event that launched it, or from the pool and member number). Each stream is appended whole, concurrently
 * (group commit, synchronous=FULL).
 */
import * as E from 'fp-ts/lib/Either.js';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import type { LaunchMachine } from '../../domain/commands/commands.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { INTENT } from '../../domain/process/command-builders.js';
import { commandIdFor } from '../../domain/shared/command-id.js';
import type { NewEvent, RecordedEvent } from '../../domain/store/event-store.js';
import { createWorld, type World } from '../../test/world/world.js';

export const POOL_NAME = 'default';
const POOL_LABEL = `runs-fleet/cpu=2/arch=arm64/pool=${POOL_NAME}`;
const TEMPLATE_JOB = '4242424242';
const FIRST_JOB = 50_000_000;
const CONCURRENCY = 32;

/** The LaunchMachine of pool member `n` (machine id = the command's id). */
const poolMemberLaunch = (n: number): LaunchMachine => {
  const cause = { streamId: `pool#${POOL_NAME}`, version: n + 1 };
  const machineId = commandIdFor(cause, `bench-pool-member:${String(n)}`);

  return {
    type: 'LaunchMachine',
    commandId: machineId,
    cause,
    data: {
      machineId,
      request: {
        backend: 'ec2',
        capacity: 'spot',
        instanceTypes: ['c8g.large', 'c7g.large', 'm8g.large'],
        arch: 'arm64',
        cpu: { min: 2, max: 4 },
        ramGiB: null,
        diskGiB: null,
        label: POOL_LABEL,
        runnerName: runnerNameFor(machineId),
        pool: POOL_NAME,
        repo: null,
        jobId: null,
        attempt: null,
      },
    },
  };
};

const step = async (world: World, ms: number, action: () => Promise<void>): Promise<void> => {
  world.clock.advance(ms);
  await action();
  await world.settle();
};

/** The machine comes up and its runner registers, as the cloud and the agent report it. */
const bootMachine = async (world: World, machineId: string, runnerId: number): Promise<void> => {
  const cloudId = world.models.machine(machineId)?.cloudId ?? 'i-0';
  await step(world, 20_000, () => world.observe(machineId, { type: 'MachineRunning', data: { cloudId } }));
  await step(world, 5_000, () =>
    world.observe(machineId, { type: 'RunnerRegistered', data: { runnerName: runnerNameFor(machineId), runnerId } }),
  );
};

interface Templates {
  readonly job: ReadonlyArray<RecordedEvent>;
  /** The template job's machine. */
  readonly jobMachine: string;
  readonly poolMember: ReadonlyArray<RecordedEvent>;
  readonly poolMachine: string;
}

const record = async (): Promise<Templates> => {
  const world = createWorld();
  const job = { jobId: TEMPLATE_JOB, labels: ['runs-fleet=777/cpu=4/arch=arm64'] };
  await step(world, 0, () => world.queued(job));
  const jobMachine = world.models.job(TEMPLATE_JOB)?.machineId ?? '';
  await bootMachine(world, jobMachine, 1);
  await step(world, 2_000, () => world.started(job, runnerNameFor(jobMachine)));
  const launch = poolMemberLaunch(0);
  await step(world, 1_000, () => world.bus.dispatch([launch]));
  await bootMachine(world, launch.data.machineId, 2);
  const events = await world.store.readAfter(0, 1_000);
  const active = world.models.job(TEMPLATE_JOB)?.status;
  const member = world.models.machine(launch.data.machineId)?.status;
  if (active !== 'running' || member !== 'running')
    throw new Error(`template not active: job ${String(active)}, pool member ${String(member)}`);
  const poolStream = `machine#${launch.data.machineId}`;

  return {
    job: events.filter((e) => e.streamId !== poolStream),
    jobMachine,
    poolMember: events.filter((e) => e.streamId === poolStream),
    poolMachine: launch.data.machineId,
  };
};

const rewrite = (value: unknown, swap: (text: string) => string): unknown => {
  if (typeof value === 'string') return swap(value);
  if (Array.isArray(value)) return value.map((item) => rewrite(item, swap));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewrite(item, swap)]));

  return value;
};

/** The template's events with every occurrence of each `from` id replaced, grouped by (new) stream, in order. */
const clone = (
  events: ReadonlyArray<RecordedEvent>,
  swaps: ReadonlyArray<readonly [string, string]>,
): Map<string, NewEvent[]> => {
  const swap = (text: string): string =>
    swaps.reduce((out, [from, to]) => (out.includes(from) ? out.replaceAll(from, to) : out), text);
  const streams = new Map<string, NewEvent[]>();
  for (const event of events) {
    const streamId = swap(event.streamId);
    const copy = { type: event.type, data: rewrite(event.data, swap), metadata: rewrite(event.metadata, swap) };
    streams.set(streamId, [...(streams.get(streamId) ?? []), copy as NewEvent]);
  }

  return streams;
};

const launchVersion = (jobId: string, machineId: string): number => {
  for (let version = 1; version <= 64; version += 1)
    if (commandIdFor({ streamId: `job#${jobId}`, version }, INTENT.launch) === machineId) return version;
  throw new Error(`machine ${machineId} was not launched by job ${jobId}`);
};

/** Writes `jobs` active jobs and `poolMembers` pool members into the SQLite store at `path`. */
export const writeMemoryHistory = async (path: string, jobs: number, poolMembers: number): Promise<void> => {
  const templates = await record();
  const version = launchVersion(TEMPLATE_JOB, templates.jobMachine);
  const entity = (i: number): Map<string, NewEvent[]> => {
    if (i < jobs) {
      const jobId = String(FIRST_JOB + i);
      const machineId = commandIdFor({ streamId: `job#${jobId}`, version }, INTENT.launch);

      return clone(templates.job, [
        [TEMPLATE_JOB, jobId],
        [templates.jobMachine, machineId],
      ]);
    }

    return clone(templates.poolMember, [[templates.poolMachine, poolMemberLaunch(i - jobs).data.machineId]]);
  };
  const store = await openSqliteEventStore(path);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < jobs + poolMembers; i = next++) {
      for (const [streamId, events] of entity(i)) {
        const appended = await store.append(streamId, events, 0);
        if (E.isLeft(appended)) throw new Error(`writing ${streamId}: version conflict`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } finally {
    await store.close();
  }
};
