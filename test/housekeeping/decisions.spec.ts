import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeRecorded } from '../../domain/events/domain-event.js';
import type { MachineEvent } from '../../domain/events/machine-events.js';
import {
  decideStaleJob,
  ghostDecision,
  ghostVerdict,
  isOrphanDecision,
  orphanDecision,
  orphanVerdict,
  planDecision,
  staleJobCandidates,
  unconfirmedDecision,
  unconfirmedVerdict,
  withFresh,
  type JobFacts,
} from '../../domain/housekeeping/index.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import type { ManagedMachine } from '../../domain/ports/compute.js';
import type { GithubRunner } from '../../domain/ports/github.js';
import { commandIdFor } from '../../domain/shared/command-id.js';
import { addMinutes } from '../../domain/shared/time.js';
import {
  addPoolMember,
  configurePool,
  createBench,
  job,
  machineOf,
  MINUTE,
  queueJob,
  removePool,
  settings,
} from './fixtures.js';

/**
 * The pure housekeeping decisions, each with its near misses: what must be acted on, and what looks like it but must
 * be left alone. Views come from the in-memory world (real projections and process rules).
 */
const S = settings();
const cloudOf = (machineId: string | null, overrides: Partial<ManagedMachine> = {}): ManagedMachine => ({
  machineId,
  cloudId: 'i-0123456789abcdef0',
  state: 'running',
  launchedAt: null,
  ...overrides,
});
const strangerId = commandIdFor({ streamId: 'job#999', version: 1 }, 'launch-runner');

describe('unconfirmed runners', () => {
  it('a machine whose runner took no job within 5 minutes is unconfirmed', async () => {
    const { world } = createBench();
    const machineId = await queueJob(world, '1');
    const now = addMinutes(world.clock.now(), 6);
    const verdict = unconfirmedVerdict(world.models, machineOf(world.models, machineId), now, S);
    expect(verdict).toMatchObject({ kind: 'unconfirmed', machineId, jobId: '1', attempt: 1 });
  });

  it('near miss: still within the 5 minutes (booting)', async () => {
    const { world } = createBench();
    const machineId = await queueJob(world, '1');
    const verdict = unconfirmedVerdict(
      world.models,
      machineOf(world.models, machineId),
      addMinutes(world.clock.now(), 4),
      S,
    );
    expect(verdict).toEqual({ kind: 'keep', why: 'within 5 minutes' });
  });

  it('near miss: its runner took its job', async () => {
    const { world } = createBench();
    const machineId = await queueJob(world, '1');
    await world.started(job('1'), runnerNameFor(machineId));
    await world.settle();
    const verdict = unconfirmedVerdict(
      world.models,
      machineOf(world.models, machineId),
      addMinutes(world.clock.now(), 30),
      S,
    );
    expect(verdict.kind).toBe('keep');
  });

  it('near miss: its runner took a sibling job with the same labels', async () => {
    const { world } = createBench();
    const machineId = await queueJob(world, '1');
    await world.queued(job('2'));
    await world.started(job('2'), runnerNameFor(machineId));
    await world.settle();
    const verdict = unconfirmedVerdict(
      world.models,
      machineOf(world.models, machineId),
      addMinutes(world.clock.now(), 30),
      S,
    );
    expect(verdict).toMatchObject({ kind: 'keep' });
  });

  it('near miss: an unclaimed pool member waits for no job', async () => {
    const { world } = createBench();
    await configurePool(world, 'default');
    const member = await addPoolMember(world, 'default', 1);
    const verdict = unconfirmedVerdict(
      world.models,
      machineOf(world.models, member),
      addMinutes(world.clock.now(), 60),
      S,
    );
    expect(verdict).toEqual({ kind: 'keep', why: 'launched for no job' });
  });

  it('the decision carries a terminate command caused by the decision itself', async () => {
    const { world } = createBench();
    const machineId = await queueJob(world, '1');
    const machine = machineOf(world.models, machineId);
    const verdict = unconfirmedVerdict(world.models, machine, addMinutes(world.clock.now(), 6), S);
    if (verdict.kind !== 'unconfirmed') throw new Error('expected unconfirmed');
    const decision = unconfirmedDecision(verdict, machine.version, false);
    expect(decision.data.command).toMatchObject({
      type: 'TerminateMachines',
      cause: { streamId: `machine#${machineId}`, version: machine.version + 1 },
      data: { machineIds: [machineId], reason: 'runner-unconfirmed' },
    });
    // Re-derived on the same version, the same command id: two orchestrators cannot both act on different ids.
    expect(unconfirmedDecision(verdict, machine.version, false).data.command.commandId).toBe(
      decision.data.command.commandId,
    );
  });
});

describe('orphan instances', () => {
  it('a managed machine unknown to our records, past the grace, is an orphan', async () => {
    const { world } = createBench();
    const now = world.clock.now();
    const verdict = orphanVerdict(world.models, cloudOf(strangerId, { launchedAt: addMinutes(now, -30) }), now, S);
    expect(verdict).toMatchObject({ kind: 'orphan', reason: 'unknown-to-us', minutes: 30 });
  });

  it('near miss: a booting machine within the grace is left alone', async () => {
    const { world } = createBench();
    const now = world.clock.now();
    expect(orphanVerdict(world.models, cloudOf(strangerId, { launchedAt: addMinutes(now, -2) }), now, S)).toMatchObject(
      { kind: 'keep' },
    );
    expect(
      orphanVerdict(world.models, cloudOf(strangerId, { state: 'pending', launchedAt: addMinutes(now, -90) }), now, S),
    ).toEqual({
      kind: 'keep',
      why: 'pending in the cloud',
    });
  });

  it('a machine stuck pending past the longest job runtime (a pod no node fits, forever) is judged after all', async () => {
    const { world } = createBench();
    const now = world.clock.now();
    const stuck = (minutes: number) =>
      orphanVerdict(
        world.models,
        cloudOf(strangerId, { state: 'pending', launchedAt: addMinutes(now, -minutes) }),
        now,
        S,
      );
    expect(stuck(S.stuckTransitionMinutes - 1)).toEqual({ kind: 'keep', why: 'pending in the cloud' });
    expect(stuck(S.stuckTransitionMinutes)).toMatchObject({ kind: 'orphan', reason: 'unknown-to-us' });
  });

  it('near miss: a machine without our machine-id tag, or with no time to measure from, is never judged', async () => {
    const { world } = createBench();
    const now = world.clock.now();
    expect(orphanVerdict(world.models, cloudOf(null, { launchedAt: addMinutes(now, -600) }), now, S).kind).toBe('keep');
    expect(orphanVerdict(world.models, cloudOf(strangerId), now, S).kind).toBe('keep');
  });

  it('near miss: a stopped member of a configured pool belongs to the pool, however long it sleeps', async () => {
    const { world } = createBench();
    await configurePool(world, 'default');
    const member = await addPoolMember(world, 'default', 1, { stopped: true });
    const now = addMinutes(world.clock.now(), 600);
    const verdict = orphanVerdict(
      world.models,
      cloudOf(member, { state: 'stopped', launchedAt: addMinutes(now, -600) }),
      now,
      S,
    );
    expect(verdict).toEqual({ kind: 'keep', why: 'an unclaimed member of pool default' });
  });

  it('an unclaimed member of a removed pool is an orphan once the grace after the removal has passed', async () => {
    const { world } = createBench();
    await configurePool(world, 'gone');
    const member = await addPoolMember(world, 'gone', 1, { stopped: true });
    await removePool(world, 'gone');
    const cloud = cloudOf(member, { state: 'stopped', launchedAt: addMinutes(world.clock.now(), -600) });
    expect(orphanVerdict(world.models, cloud, addMinutes(world.clock.now(), 5), S).kind).toBe('keep');
    expect(orphanVerdict(world.models, cloud, addMinutes(world.clock.now(), 16), S)).toMatchObject({
      kind: 'orphan',
      reason: 'pool-removed',
    });
  });

  it('near miss: the machine of a live job is needed; once its job is over it is an orphan after the grace', async () => {
    const { world } = createBench();
    const machineId = await queueJob(world, '1');
    await world.started(job('1'), runnerNameFor(machineId));
    await world.settle();
    const cloud = cloudOf(machineId, { launchedAt: world.clock.now() });
    expect(orphanVerdict(world.models, cloud, addMinutes(world.clock.now(), 600), S)).toMatchObject({ kind: 'keep' });
    await world.completed(job('1'), 'success', runnerNameFor(machineId));
    await world.settle();
    // The terminate the process sent was lost: our records still show the machine alive.
    const lost = withFresh(world.models, { machines: [{ ...machineOf(world.models, machineId), status: 'running' }] });
    expect(orphanVerdict(lost, cloud, addMinutes(world.clock.now(), 5), S).kind).toBe('keep');
    expect(orphanVerdict(lost, cloud, addMinutes(world.clock.now(), 20), S)).toMatchObject({
      kind: 'orphan',
      reason: 'not-needed',
    });
    // And as recorded (terminated), the cloud still running it is an orphan too.
    expect(orphanVerdict(world.models, cloud, addMinutes(world.clock.now(), 20), S)).toMatchObject({
      kind: 'orphan',
      reason: 'ended-in-our-records',
    });
  });

  it('near miss: a machine whose runner serves a sibling live job is needed even though its own job is over', async () => {
    const { world } = createBench();
    const machineId = await queueJob(world, '1');
    await world.queued(job('2'));
    await world.started(job('2'), runnerNameFor(machineId));
    await world.completed(job('1'), 'success', null);
    await world.settle();
    const alive = withFresh(world.models, { machines: [{ ...machineOf(world.models, machineId), status: 'running' }] });
    const cloud = cloudOf(machineId, { launchedAt: addMinutes(world.clock.now(), -600) });
    expect(orphanVerdict(alive, cloud, addMinutes(world.clock.now(), 600), S)).toMatchObject({ kind: 'keep' });
  });

  it('a decision is reused only while it is the last event of its stream', async () => {
    const { world } = createBench();
    const now = world.clock.now();
    const verdict = orphanVerdict(world.models, cloudOf(strangerId, { launchedAt: addMinutes(now, -30) }), now, S);
    if (verdict.kind !== 'orphan') throw new Error('expected an orphan');
    const recorded = orphanDecision(verdict, 0, cloudOf(strangerId));
    const fresh = orphanDecision(verdict, 3, cloudOf(strangerId));
    expect(planDecision<typeof fresh>(recorded, fresh, isOrphanDecision)).toEqual({
      kind: 'reuse',
      decision: recorded,
    });
    const later: MachineEvent = { type: 'MachineRunning', data: { cloudId: 'i-1' } };
    expect(planDecision(later, fresh, isOrphanDecision)).toEqual({ kind: 'record', decision: fresh });
    expect(fresh.data.command.commandId).not.toBe(recorded.data.command.commandId);
  });
});

describe('ghost runners', () => {
  const machineId = strangerId;
  const runner = (overrides: Partial<GithubRunner> = {}): GithubRunner => ({
    id: 7,
    name: runnerNameFor(machineId),
    status: 'offline',
    busy: false,
    ...overrides,
  });
  const ended = { status: 'terminated' } as never;

  it('an offline, idle registration of ours whose machine ended (or is unknown) is a ghost', () => {
    expect(ghostVerdict(runner(), ended, false)).toEqual({ kind: 'ghost', machineId, machineStatus: 'terminated' });
    expect(ghostVerdict(runner(), undefined, false)).toEqual({ kind: 'ghost', machineId, machineStatus: 'unknown' });
  });

  it.each([
    ['a busy runner', runner({ busy: true }), ended, false, 'busy'],
    ['an online runner', runner({ status: 'online' }), ended, false, 'online'],
    [
      'a runner of another name prefix',
      runner({ name: 'build-box-7' }),
      undefined,
      false,
      'not one of our runner names',
    ],
    [
      'a runs-fleet- runner not named like ours (the Go fleet)',
      runner({ name: 'runs-fleet-runner-web-12345-67890' }),
      undefined,
      false,
      'not one of our runner names',
    ],
    [
      'a runner whose machine still runs in our records',
      runner(),
      { status: 'running' } as never,
      false,
      'its machine is running',
    ],
    [
      'a runner whose machine boots (launch in flight)',
      runner(),
      { status: 'requested' } as never,
      false,
      'its machine is requested',
    ],
    ['a runner whose machine the cloud still lists', runner(), ended, true, 'its machine is alive in the cloud'],
  ])('near miss: %s is left alone', (_name, candidate, machine, inCloud, why) => {
    expect(ghostVerdict(candidate, machine, inCloud)).toEqual({ kind: 'keep', why });
  });

  it('each registration of one machine has its own deregister command', () => {
    const verdict = ghostVerdict(runner(), undefined, false);
    if (verdict.kind !== 'ghost') throw new Error('expected a ghost');
    const a = ghostDecision(verdict, 0, 'acme/widgets', runner({ id: 7 }));
    const b = ghostDecision(verdict, 0, 'acme/widgets', runner({ id: 8 }));
    expect(a.data.command.commandId).not.toBe(b.data.command.commandId);
    expect(a.data.command.data).toEqual({ repo: 'acme/widgets', runnerName: runnerNameFor(machineId) });
  });
});

describe('stale jobs', () => {
  const jobFacts = async (): Promise<{ facts: JobFacts; now: string }> => {
    const { world } = createBench();
    await queueJob(world, '1');
    const facts = world.models.job('1');
    if (facts === undefined) throw new Error('no job');

    return { facts, now: world.clock.now() };
  };
  const identity = { runId: '9000', runAttempt: 1 };

  it('a live job without news for 10 minutes is a candidate; the oldest first, capped, not re-asked too soon', async () => {
    const { facts, now } = await jobFacts();
    const older = { ...facts, jobId: '2', times: { ...facts.times, updatedAt: addMinutes(now, -60) } };
    expect(staleJobCandidates([facts], addMinutes(now, 9), S)).toEqual([]);
    expect(staleJobCandidates([facts, older], addMinutes(now, 11), S).map((j) => j.jobId)).toEqual(['2', '1']);
    expect(
      staleJobCandidates([facts, older], addMinutes(now, 11), settings({ staleJobChecksPerCycle: 1 })).map(
        (j) => j.jobId,
      ),
    ).toEqual(['2']);
    const asked = new Map([['2', addMinutes(now, 5)]]);
    expect(staleJobCandidates([facts, older], addMinutes(now, 11), S, asked).map((j) => j.jobId)).toEqual(['1']);
  });

  it("completed at GitHub: the completion is recorded with GitHub's conclusion and runner", async () => {
    const { facts, now } = await jobFacts();
    const github = {
      id: '1',
      status: 'completed' as const,
      conclusion: 'failure',
      runnerName: 'runs-fleet-x',
      labels: [],
    };
    expect(decideStaleJob(facts, identity, github, addMinutes(now, 11))).toEqual({
      kind: 'record',
      events: [
        {
          type: 'JobCompleted',
          data: {
            jobId: '1',
            runId: '9000',
            runAttempt: 1,
            repo: 'acme/widgets',
            conclusion: 'failure',
            runnerName: 'runs-fleet-x',
            completedAt: null,
          },
        },
      ],
    });
    const cancelled = decideStaleJob(facts, identity, { ...github, conclusion: 'cancelled' }, now);
    expect(cancelled.kind === 'record' && cancelled.events[0]?.type).toBe('JobCancelled');
  });

  it('gone at GitHub (404): a visible failure', async () => {
    const { facts, now } = await jobFacts();
    const decision = decideStaleJob(facts, identity, null, addMinutes(now, 11));
    expect(decision).toMatchObject({
      kind: 'record',
      events: [{ type: 'JobFailed', data: { attempt: 1, reason: 'gone-at-github' } }],
    });
  });

  it('near miss: GitHub still has it queued or in progress: left alone', async () => {
    const { facts, now } = await jobFacts();
    for (const status of ['queued', 'in_progress'] as const) {
      const github = { id: '1', status, conclusion: null, runnerName: null, labels: [] };
      expect(decideStaleJob(facts, identity, github, now)).toEqual({ kind: 'keep', why: `GitHub says ${status}` });
    }
  });
});

describe('housekeeping events', () => {
  it('decode as machine-stream events (roundtrip through the stored shape)', async () => {
    const { world } = createBench();
    const machineId = await queueJob(world, '1');
    const machine = machineOf(world.models, machineId);
    const verdict = unconfirmedVerdict(world.models, machine, addMinutes(world.clock.now(), 6), S);
    if (verdict.kind !== 'unconfirmed') throw new Error('expected unconfirmed');
    const ghost = ghostVerdict(
      { id: 3, name: runnerNameFor(machineId), status: 'offline', busy: false },
      undefined,
      false,
    );
    if (ghost.kind !== 'ghost') throw new Error('expected a ghost');
    const orphan = orphanVerdict(
      world.models,
      cloudOf(strangerId, { launchedAt: addMinutes(world.clock.now(), -60) }),
      world.clock.now(),
      S,
    );
    if (orphan.kind !== 'orphan') throw new Error('expected an orphan');
    const events = [
      unconfirmedDecision(verdict, 3, true),
      orphanDecision(orphan, 0, cloudOf(strangerId)),
      ghostDecision(ghost, 4, 'acme/widgets', {
        id: 3,
        name: runnerNameFor(machineId),
        status: 'offline',
        busy: false,
      }),
    ];
    for (const event of events) {
      const stored = JSON.parse(JSON.stringify({ type: event.type, data: event.data })) as {
        type: string;
        data: unknown;
      };
      const decoded = decodeRecorded({
        streamId: `machine#${machineId}`,
        version: 1,
        ...stored,
        metadata: { at: world.clock.now() },
      });
      expect(E.isRight(decoded) && decoded.right.event).toEqual(event);
    }
  });
});

void MINUTE;
