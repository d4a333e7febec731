import { describe, expect, it } from 'vitest';
import type { ClaimPoolMember, StopMachines } from '../../domain/commands/commands.js';
import type { MachineEvent } from '../../domain/events/machine-events.js';
import type { JobEvent } from '../../domain/events/job-events.js';
import { evolveJob, initialJobState, type JobState } from '../../domain/job/job-state.js';
import { evolveMachine, initialMachineState, isClaimable } from '../../domain/machine/machine-state.js';
import { claimRefusal, decideClaim, decideClaimMiss, pickMember } from '../../domain/pool/claim.js';
import { memberRequest } from '../../domain/pool/pool-commands.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { assignFor, prepareConfigFor } from '../../domain/process/command-builders.js';
import { scenario } from '../world/scenario.js';

/** The claim deciders (DESIGN section 3: one winner by a conditional append) and the unwind on the job side. */
const MEMBER = 'a'.repeat(32);
const request = memberRequest('default', 'runs-fleet/pool=default', MEMBER);
if (request === null) throw new Error('the pool label must parse');

const requested: MachineEvent = {
  type: 'MachineRequested',
  data: {
    machineId: MEMBER,
    command: {
      type: 'LaunchMachine',
      commandId: MEMBER,
      cause: { streamId: 'pool#default', version: 2 },
      data: { machineId: MEMBER, request },
    },
  },
};
const launched: MachineEvent = {
  type: 'MachineLaunched',
  data: {
    cloudId: 'i-1',
    instanceType: 'c7g.large',
    capacity: 'on-demand',
    zone: 'a',
    pricePerHour: null,
    adopted: false,
    command: requested.data.command,
  },
};
const running: MachineEvent = { type: 'MachineRunning', data: { cloudId: 'i-1' } };
const stopped: MachineEvent = { type: 'MachineStopped', data: { cloudId: 'i-1' } };

const claim = (jobId: string, attempt = 1): ClaimPoolMember => ({
  type: 'ClaimPoolMember',
  commandId: `claim-${jobId}`,
  cause: { streamId: `job#${jobId}`, version: 2 },
  data: {
    jobId,
    attempt,
    machineId: MEMBER,
    expectedVersion: 3,
    pool: 'default',
    label: `runs-fleet=${jobId}/pool=default`,
    repo: 'acme/w',
  },
});
const claimed = (jobId: string, attempt = 1): MachineEvent => ({
  type: 'MachineClaimed',
  data: {
    jobId,
    attempt,
    runnerName: runnerNameFor(MEMBER),
    label: `runs-fleet=${jobId}/pool=default`,
    repo: 'acme/w',
    pool: 'default',
  },
});
const stop: StopMachines = {
  type: 'StopMachines',
  commandId: 'stop-1',
  cause: { streamId: 'pool#default', version: 5 },
  data: { machineIds: [MEMBER], reason: 'pool-stop' },
};
const retiring: MachineEvent = { type: 'MachineRetiring', data: { action: 'stop', command: stop } };

const member = scenario({
  initial: initialMachineState,
  evolve: evolveMachine,
  decide: (command: ClaimPoolMember, state) => ({ _tag: 'Right', right: decideClaim(command, state) }) as const,
});

describe('claiming a pool member', () => {
  it('an idle member (hot, or stopped) is claimed for the job attempt, under the job label', () => {
    member([requested, launched, running])
      .when(claim('1'))
      .then([claimed('1')]);
    member([requested, launched, running, stopped])
      .when(claim('1'))
      .then([claimed('1')]);
  });

  it('one winner: a member claimed by another job refuses, the same attempt again is a no-op', () => {
    member([requested, launched, running, claimed('1')])
      .when(claim('2'))
      .thenNothingHappened();
    member([requested, launched, running, claimed('1')])
      .when(claim('1'))
      .thenNothingHappened();
    const state = [requested, launched, running, claimed('1')].reduce(
      (s, e, i) => evolveMachine(s, e, i + 1),
      initialMachineState,
    );
    expect(claimRefusal(claim('2'), state)).toBe('claimed by job 1');
    expect(claimRefusal(claim('1'), state)).toBeNull();
  });

  it('near misses: not yet launched, being stopped, gone', () => {
    member([requested]).when(claim('1')).thenNothingHappened();
    member([requested, launched, running, retiring]).when(claim('1')).thenNothingHappened();
    member([
      requested,
      launched,
      running,
      { type: 'MachineTerminated', data: { cloudId: 'i-1', reason: 'x', command: null } },
    ])
      .when(claim('1'))
      .thenNothingHappened();
  });

  it('a stop fence lifts once the member is stopped: then it is claimable again', () => {
    const fenced = [requested, launched, running, retiring].reduce(
      (s, e, i) => evolveMachine(s, e, i + 1),
      initialMachineState,
    );
    expect(isClaimable(fenced)).toBe(false);
    expect(isClaimable(evolveMachine(fenced, stopped, 5))).toBe(true);
  });

  it('a claim binds the member to the job attempt', () => {
    const state = [requested, launched, running, claimed('9', 2)].reduce(
      (s, e, i) => evolveMachine(s, e, i + 1),
      initialMachineState,
    );
    expect(state).toMatchObject({
      jobId: '9',
      attempt: 2,
      claimedVersion: 4,
      claim: { label: 'runs-fleet=9/pool=default' },
    });
  });

  it('prefers a hot member, then a booting one, then a stopped one; by id within each', () => {
    const fold = (id: string, events: MachineEvent[]) => ({
      ...events.reduce((s, e, i) => evolveMachine(s, e, i + 1), initialMachineState),
      machineId: id,
    });
    const cold = fold('c', [requested, launched, running, stopped]);
    const booting = fold('b', [requested, launched]);
    const hot = fold('z', [requested, launched, running]);
    expect(pickMember([cold, booting, hot])?.machineId).toBe('z');
    expect(pickMember([cold, booting])?.machineId).toBe('b');
    expect(pickMember([fold('y', [requested, launched, running, claimed('1')])])).toBeNull();
  });
});

describe('a missed claim on the job side', () => {
  const queued: JobEvent[] = [
    {
      type: 'RunnerRequested',
      data: { attempt: 1, capacity: 'spot' },
    },
  ];
  const job = queued.reduce<JobState>((s, e, i) => evolveJob(s, e, i + 1), { ...initialJobState, status: 'queued' });

  it('is recorded once, while the attempt waits, and makes the attempt cold-start', () => {
    const [miss] = decideClaimMiss(claim('1'), 'claimed by job 2', job);
    expect(miss).toEqual({
      type: 'PoolClaimMissed',
      data: { attempt: 1, machineId: MEMBER, pool: 'default', reason: 'claimed by job 2' },
    });
    const after = evolveJob(job, miss as JobEvent, 3);
    expect(after.poolBypassed).toBe(true);
    expect(decideClaimMiss(claim('1'), 'again', after)).toEqual([]);
  });

  it('is not recorded for another attempt', () => {
    expect(decideClaimMiss(claim('1', 2), 'late', job)).toEqual([]);
  });
});

describe('views stored before warm pools', () => {
  it('a machine view without the pool fields is a cold start: same assignment and config as before', () => {
    const cold = {
      ...[requested, launched].reduce((s, e, i) => evolveMachine(s, e, i + 1), initialMachineState),
      jobId: '5',
      attempt: 1,
    };
    const {
      claim: _c,
      claimedVersion: _v,
      retiring: _r,
      startFailed: _s,
      startFailedVersion: _f,
      pool: _p,
      ...old
    } = cold;
    const legacy = old as unknown as typeof cold;
    expect(isClaimable(legacy)).toBe(false);
    const assign = assignFor(legacy);
    expect(assign?.cause).toEqual({ streamId: `machine#${MEMBER}`, version: 2 });
    expect(assign?.data).not.toHaveProperty('source');
    expect(prepareConfigFor(legacy, undefined)?.cause).toEqual({ streamId: `machine#${MEMBER}`, version: 1 });
  });
});
