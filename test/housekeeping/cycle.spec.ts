import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../domain/store/event-store.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { commandIdFor } from '../../domain/shared/command-id.js';
import { jobStreamId, machineStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import {
  runGhostRunners,
  runOrphanInstances,
  runStaleJobs,
  runUnconfirmedRunners,
} from '../../handlers/housekeeping/index.js';
import { replay } from '../../handlers/replay/engine.js';
import { explainJob } from '../../handlers/replay/explain.js';
import {
  addPoolMember,
  claimMemberForJob55,
  configurePool,
  launchStranger,
  createBench,
  job,
  MINUTE,
  queueJob,
  removePool,
  settings,
} from './fixtures.js';

/**
 * Housekeeping against the in-memory world: the real pipeline, process rules and executors, a fake cloud and a GitHub
 * the test controls. Each test checks what was decided (on the streams), what was done (cloud, GitHub), and that the
 * near misses were left alone.
 */
const typesOf = async (store: EventStore, streamId: string): Promise<string[]> =>
  (await store.read(streamId)).map((e) => e.type);

/** A store that calls `after` once an event of `type` has been appended: "something happened in between". */
const onAppend = (store: EventStore, type: string, after: () => Promise<void>): EventStore => {
  let fired = false;

  return {
    ...store,
    read: (...args) => store.read(...args),
    append: async (streamId: string, events: ReadonlyArray<NewEvent>, expected: number) => {
      const result = await store.append(streamId, events, expected);
      if (!fired && events.some((e) => e.type === type)) {
        fired = true;
        await after();
      }

      return result;
    },
  } as EventStore;
};

describe('unconfirmed runners', () => {
  it('terminates a machine whose runner took no job in 5 minutes; the job is requeued, then fails visibly when its budget is spent', async () => {
    const { world, deps } = createBench();
    const first = await queueJob(world, '1');
    world.clock.advance(4 * MINUTE);
    expect((await runUnconfirmedRunners(deps())).acted).toBe(0);
    world.clock.advance(2 * MINUTE);
    const report = await runUnconfirmedRunners(deps());
    expect(report).toMatchObject({ decided: 1, acted: 1, withdrawn: 0 });
    await world.settle();
    expect(await typesOf(world.store, machineStreamId(first))).toEqual(
      expect.arrayContaining(['MachineUnconfirmed', 'MachineTerminated']),
    );
    const requeued = world.models.job('1');
    expect(requeued?.requeues).toEqual([expect.objectContaining({ attempt: 1, reason: 'runner-unconfirmed' })]);
    expect(requeued?.attempt).toBe(2);
    // Two more attempts never confirmed: the budget of 2 requeues is spent, and the job fails where users see it.
    for (let round = 0; round < 2; round += 1) {
      world.clock.advance(6 * MINUTE);
      await runUnconfirmedRunners(deps());
      await world.settle();
    }
    expect(world.models.job('1')).toMatchObject({ status: 'failed', failure: { reason: 'budget-exhausted' } });
    expect(world.compute.live.size).toBe(0);
    // `explain --job` tells the story, housekeeping decisions included.
    const recorded = await world.store.readAfter(0, 10_000);
    const result = await replay(
      async function* () {
        yield* recorded;
      },
      { scope: { kind: 'job', jobId: '1' } },
    );
    const detours = explainJob('1', result).detours;
    expect(detours.filter((d) => d.includes('took no job in 6 min'))).toHaveLength(3);
    expect(detours.some((d) => d.includes('runner-unconfirmed'))).toBe(true);
  });

  it('records the decision before it terminates', async () => {
    const { world, deps } = createBench();
    const machineId = await queueJob(world, '1');
    world.clock.advance(6 * MINUTE);
    const seenAtTerminate: string[][] = [];
    const compute = {
      ...world.compute,
      terminate: async (ids: ReadonlyArray<string>, reason: string) => {
        seenAtTerminate.push(await typesOf(world.store, machineStreamId(machineId)));
        await world.compute.terminate(ids, reason);
      },
    };
    await runUnconfirmedRunners(deps({ compute }));
    expect(seenAtTerminate).toHaveLength(1);
    expect(seenAtTerminate[0]?.at(-1)).toBe('MachineUnconfirmed');
  });

  it('withdraws the act when the runner takes the job between the decision and the act', async () => {
    const { world, deps } = createBench();
    const machineId = await queueJob(world, '1');
    world.clock.advance(6 * MINUTE);
    const store = onAppend(world.store, 'MachineUnconfirmed', () => world.started(job('1'), runnerNameFor(machineId)));
    const report = await runUnconfirmedRunners(deps({ store }));
    expect(report).toMatchObject({ decided: 1, acted: 0, withdrawn: 1 });
    expect(world.compute.terminated.has(machineId)).toBe(false);
    expect(await typesOf(world.store, machineStreamId(machineId))).not.toContain('MachineTerminated');
  });
});

describe('orphan instances', () => {
  it('terminates a managed machine our records do not know, past the grace, and leaves the near misses alone', async () => {
    const { world, deps } = createBench();
    await configurePool(world, 'default');
    const stoppedMember = await addPoolMember(world, 'default', 1, { stopped: true });
    const busy = await queueJob(world, '1');
    await world.started(job('1'), runnerNameFor(busy));
    await world.settle();
    // A machine the cloud has under our tag but no stream of ours names (a crashed deployment, an expired stream).
    const stranger = await launchStranger(world.compute, 777);
    const booting = await launchStranger(world.compute, 778);
    const launchedLongAgo = new Date(Date.parse(world.clock.now()) - 60 * MINUTE).toISOString();
    for (const id of [stranger, stoppedMember, busy]) world.compute.launchedAt.set(id, launchedLongAgo);
    world.compute.launchedAt.set(booting, new Date(Date.parse(world.clock.now()) - 2 * MINUTE).toISOString());

    const report = await runOrphanInstances(deps());
    expect(report).toMatchObject({ decided: 1, acted: 1, withdrawn: 0 });
    expect([...world.compute.terminated]).toEqual([stranger]);
    expect(await typesOf(world.store, machineStreamId(stranger))).toEqual(['MachineOrphaned', 'MachineTerminated']);
    expect(report.kept).toMatchObject({
      'an unclaimed member of pool default': 1,
      'within the 15-minute grace': 1,
    });
  });

  it('terminates the unclaimed members of a removed pool after the grace', async () => {
    const { world, deps } = createBench();
    await configurePool(world, 'old');
    const member = await addPoolMember(world, 'old', 1, { stopped: true });
    await removePool(world, 'old');
    world.compute.launchedAt.set(member, world.clock.now());
    world.clock.advance(10 * MINUTE);
    expect((await runOrphanInstances(deps())).acted).toBe(0);
    world.clock.advance(10 * MINUTE);
    expect(await runOrphanInstances(deps())).toMatchObject({ decided: 1, acted: 1 });
    expect(world.compute.terminated.has(member)).toBe(true);
    const decided = (await world.store.read(machineStreamId(member))).find((e) => e.type === 'MachineOrphaned');
    expect(decided?.data).toMatchObject({ reason: 'pool-removed', cloudState: 'stopped' });
  });

  it('withdraws the act when the member is claimed by a job between the decision and the act', async () => {
    const { world, deps } = createBench();
    await configurePool(world, 'old');
    const member = await addPoolMember(world, 'old', 1);
    await removePool(world, 'old');
    world.compute.launchedAt.set(member, world.clock.now());
    world.clock.advance(20 * MINUTE);
    // Another orchestrator claims the member for job 55 right after our decision was recorded; job 55 waits for it.
    await queueJob(world, '9');
    const spec = world.models.job('9')?.spec ?? null;
    const claim = () => claimMemberForJob55(world, member, 'old', spec);
    const store = onAppend(world.store, 'MachineOrphaned', claim);
    const report = await runOrphanInstances(deps({ store }));
    expect(report).toMatchObject({ decided: 1, acted: 0, withdrawn: 1 });
    expect(world.compute.terminated.has(member)).toBe(false);
  });

  it('two housekeepers deciding at once: one decision, one termination', async () => {
    const { world, deps } = createBench();
    const stranger = await launchStranger(world.compute, 779);
    world.compute.launchedAt.set(stranger, new Date(Date.parse(world.clock.now()) - 60 * MINUTE).toISOString());
    const [a, b] = await Promise.all([runOrphanInstances(deps()), runOrphanInstances(deps())]);
    expect((await typesOf(world.store, machineStreamId(stranger))).filter((t) => t === 'MachineOrphaned')).toHaveLength(
      1,
    );
    expect(
      (await typesOf(world.store, machineStreamId(stranger))).filter((t) => t === 'MachineTerminated'),
    ).toHaveLength(1);
    expect((a?.decided ?? 0) + (b?.decided ?? 0) + (a?.withdrawn ?? 0) + (b?.withdrawn ?? 0)).toBeGreaterThanOrEqual(2);
  });
});

describe('ghost runners', () => {
  it('deletes only offline, idle registrations of ours whose machine ended or is unknown', async () => {
    const { world, github, deps } = createBench();
    const ended = await queueJob(world, '1');
    await world.started(job('1'), runnerNameFor(ended));
    await world.completed(job('1'), 'success', runnerNameFor(ended));
    await world.settle();
    const alive = await queueJob(world, '2');
    const unknown = commandIdFor({ streamId: 'job#880', version: 1 }, 'launch-runner');
    const busyEnded = commandIdFor({ streamId: 'job#881', version: 1 }, 'launch-runner');
    github.runners.push(
      { id: 1, name: runnerNameFor(ended), status: 'offline', busy: false },
      { id: 2, name: runnerNameFor(unknown), status: 'offline', busy: false },
      { id: 3, name: runnerNameFor(alive), status: 'offline', busy: false },
      { id: 4, name: runnerNameFor(busyEnded), status: 'offline', busy: true },
      { id: 5, name: runnerNameFor(busyEnded), status: 'online', busy: false },
      { id: 6, name: 'build-box-6', status: 'offline', busy: false },
      { id: 7, name: 'runs-fleet-runner-widgets-123456-7890a', status: 'offline', busy: false },
    );
    const report = await runGhostRunners(deps());
    expect(report).toMatchObject({ decided: 2, acted: 2, withdrawn: 0 });
    expect(github.deleted.sort()).toEqual([1, 2]);
    expect(await typesOf(world.store, machineStreamId(ended))).toEqual(
      expect.arrayContaining(['GhostRunnerFound', 'GhostRunnerDeleted']),
    );
    expect(await typesOf(world.store, machineStreamId(unknown))).toEqual(['GhostRunnerFound', 'GhostRunnerDeleted']);
    expect(github.runners.map((r) => r.id)).toEqual([3, 4, 5, 6, 7]);
  });

  it('deletes at most the cap per cycle; the next cycle goes on', async () => {
    const { world, github, deps } = createBench();
    const ids = [881, 882, 883].map((n) => commandIdFor({ streamId: `job#${n}`, version: 1 }, 'launch-runner'));
    await queueJob(world, '1');
    github.runners.push(
      ...ids.map((id, i) => ({ id: i + 1, name: runnerNameFor(id), status: 'offline' as const, busy: false })),
    );
    const capped = deps({ settings: settings({ ghostRunnersPerCycle: 2 }) });
    expect((await runGhostRunners(capped)).acted).toBe(2);
    expect((await runGhostRunners(capped)).acted).toBe(1);
    expect(github.runners).toEqual([]);
  });

  it('withdraws the delete when the runner comes online between the decision and the delete', async () => {
    const { world, github, deps } = createBench();
    await queueJob(world, '1');
    const id = commandIdFor({ streamId: 'job#890', version: 1 }, 'launch-runner');
    github.runners.push({ id: 9, name: runnerNameFor(id), status: 'offline', busy: false });
    const store = onAppend(world.store, 'GhostRunnerFound', async () => {
      github.runners[0] = { id: 9, name: runnerNameFor(id), status: 'online', busy: true };
    });
    expect(await runGhostRunners(deps({ store }))).toMatchObject({ decided: 1, acted: 0, withdrawn: 1 });
    expect(github.deleted).toEqual([]);
  });
});

describe('stale jobs', () => {
  it('asks GitHub first, then records a completion or a visible failure; uncertainty and live jobs are left alone', async () => {
    const { world, github, deps } = createBench();
    const ran = await queueJob(world, '1');
    await world.started(job('1'), runnerNameFor(ran));
    for (const id of ['2', '3', '4']) await queueJob(world, id);
    await world.settle();
    github.jobs.set('1', {
      id: '1',
      status: 'completed',
      conclusion: 'success',
      runnerName: runnerNameFor(ran),
      labels: [],
    });
    github.jobs.set('3', 'refuse');
    github.jobs.set('4', { id: '4', status: 'queued', conclusion: null, runnerName: null, labels: [] });
    world.clock.advance(5 * MINUTE);
    expect(await runStaleJobs(deps())).toMatchObject({ decided: 0 });
    expect(github.calls).toEqual([]);
    world.clock.advance(6 * MINUTE);
    const report = await runStaleJobs(deps());
    expect(report).toMatchObject({ decided: 2, acted: 2, withdrawn: 0 });
    await world.settle();
    expect(world.models.job('1')).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(world.models.job('2')).toMatchObject({ status: 'failed', failure: { reason: 'gone-at-github' } });
    expect(world.models.job('3')?.status).toBe('assigned');
    expect(world.models.job('4')?.status).toBe('assigned');
    // The process then ends the machines the two finished jobs held.
    expect(world.compute.terminated.has(ran)).toBe(true);
    expect(world.compute.terminated.has(world.models.job('2')?.machineId ?? '')).toBe(true);
    const recorded = (await world.store.read(jobStreamId('1'))).at(-1);
    expect(recorded?.metadata.causationId).toMatch(/^[a-z2-7]{32}$/);
  });

  it('a webhook that arrives while GitHub is asked wins: nothing is recorded twice', async () => {
    const { world, github, deps } = createBench();
    const ran = await queueJob(world, '1');
    await world.started(job('1'), runnerNameFor(ran));
    await world.settle();
    world.clock.advance(11 * MINUTE);
    const slow = {
      ...github,
      getJob: async () => {
        await world.completed(job('1'), 'failure', runnerNameFor(ran));

        return { id: '1', status: 'completed' as const, conclusion: 'success', runnerName: null, labels: [] };
      },
    };
    expect(await runStaleJobs(deps({ github: slow }))).toMatchObject({ decided: 0, withdrawn: 1 });
    const completions = (await typesOf(world.store, jobStreamId('1'))).filter((t) => t === 'JobCompleted');
    expect(completions).toHaveLength(1);
    await world.settle();
    expect(world.models.job('1')?.conclusion).toBe('failure');
  });
});
