import * as E from 'fp-ts/lib/Either.js';
import type {
  ClaimPoolMember,
  Command,
  LaunchMachine,
  StartMachines,
  StopMachines,
  TerminateMachines,
} from '../commands/commands.js';
import type { JobState } from '../job/job-state.js';
import { parseJobLabels } from '../labels/index.js';
import { runnerNameFor, type LaunchRequest } from '../machine/launch-request.js';
import type { MachineState } from '../machine/machine-state.js';
import { commandIdFor, type Cause } from '../shared/command-id.js';
import { jobStreamId, machineStreamId, poolStreamId } from '../shared/ids.js';
import { launchedBy, poolLaunchIntent, type LastReconcile, type PoolState } from './pool-state.js';

/**
 * The commands a `PoolReconciled` causes, derived from the event (and the pool's stream) only, with ids from the
 * pool stream version and an intent naming the member, never a list position. `react` derives them when the event
 * is projected; `resume` derives the ones whose effect is not recorded yet, with the same ids.
 */
export const POOL_INTENT = {
  start: 'pool-start',
  stop: 'pool-stop',
  terminate: 'pool-terminate',
  claim: 'claim-pool-member',
  startClaimed: 'start-claimed-member',
} as const;

const build = <C extends Command>(type: C['type'], cause: Cause, intent: string, data: C['data']): C =>
  ({ type, commandId: commandIdFor(cause, intent), cause, data }) as C;

/** A pool member's launch request: on-demand always (SPEC section 1: pools are on-demand), from the pool's label. */
export const memberRequest = (pool: string, label: string, machineId: string): LaunchRequest | null => {
  const parsed = parseJobLabels([label], []);
  if (E.isLeft(parsed)) return null;
  const spec = parsed.right;

  return {
    // Stop and start exist only for instances: a pool is EC2 whatever the default backend.
    backend: 'ec2',
    capacity: 'on-demand',
    instanceTypes: [...spec.instanceTypes],
    arch: spec.arch,
    cpu: spec.cpu,
    ramGiB: spec.ram,
    diskGiB: spec.disk,
    label: spec.label,
    runnerName: runnerNameFor(machineId),
    pool,
    repo: null,
    jobId: null,
    attempt: null,
  };
};

const causeOf = (pool: PoolState, last: LastReconcile): Cause => ({
  streamId: poolStreamId(pool.name),
  version: last.version,
});

export const memberLaunches = (pool: PoolState, last: LastReconcile): ReadonlyArray<LaunchMachine> =>
  launchedBy(pool.name, last).flatMap((machineId, index) => {
    const request = memberRequest(pool.name, last.label, machineId);

    return request === null
      ? []
      : [build<LaunchMachine>('LaunchMachine', causeOf(pool, last), poolLaunchIntent(index), { machineId, request })];
  });

type MemberCommand = StartMachines | StopMachines | TerminateMachines;

export const memberCommand = (
  type: MemberCommand['type'],
  pool: PoolState,
  last: LastReconcile,
  machineId: string,
): MemberCommand => {
  const intent = {
    StartMachines: POOL_INTENT.start,
    StopMachines: POOL_INTENT.stop,
    TerminateMachines: POOL_INTENT.terminate,
  }[type];
  const reason = { StartMachines: 'pool-start', StopMachines: 'pool-stop', TerminateMachines: 'pool-excess' }[type];

  return build<MemberCommand>(type, causeOf(pool, last), `${intent}:${machineId}`, { machineIds: [machineId], reason });
};

const unclaimed = (member: MachineState | undefined): boolean =>
  member !== undefined && !(member.claimedVersion > 0) && member.jobId === null;

/**
 * The commands of the pool's last decision whose effect is not recorded: a launch whose member stream does not
 * exist, a start of a member still stopped, a stop of a member still running, a terminate of a member not ended.
 * Claimed members are skipped: a job owns them now (the executors re-check on their own fresh read).
 */
export const pendingPoolCommands = (
  pool: PoolState,
  member: (machineId: string) => MachineState | undefined,
): ReadonlyArray<Command> => {
  const last = pool.lastReconcile;
  if (last === null) return [];
  const launches = memberLaunches(pool, last).filter((launch) => {
    const state = member(launch.data.machineId);

    return state === undefined || state.status === 'unknown';
  });
  const pending = (
    ids: ReadonlyArray<string>,
    type: MemberCommand['type'],
    waiting: (state: MachineState) => boolean,
  ): MemberCommand[] =>
    ids.flatMap((id) => {
      const state = member(id);

      return state !== undefined && unclaimed(state) && waiting(state) ? [memberCommand(type, pool, last, id)] : [];
    });

  return [
    ...launches,
    ...pending(last.actions.start, 'StartMachines', (s) => s.status === 'stopped' && !s.startFailed),
    ...pending(
      last.actions.stop,
      'StopMachines',
      (s) => s.status === 'running' && (s.retiring == null || s.retiring.action === 'stop'),
    ),
    ...pending(last.actions.terminate, 'TerminateMachines', (s) => s.status !== 'terminated' && s.status !== 'failed'),
  ];
};

/** The claim of a member for a job attempt, caused by the attempt's `RunnerRequested`. */
export const claimFor = (
  job: JobState,
  member: MachineState & { readonly machineId: string },
  version: number,
): ClaimPoolMember | null => {
  if (job.jobId === null || job.spec === null || job.spec.pool === null || job.requestVersion === 0) return null;
  const cause = { streamId: jobStreamId(job.jobId), version: job.requestVersion };

  return build<ClaimPoolMember>('ClaimPoolMember', cause, POOL_INTENT.claim, {
    jobId: job.jobId,
    attempt: job.attempt,
    machineId: member.machineId,
    expectedVersion: version,
    pool: job.spec.pool,
    label: job.spec.label,
    repo: job.repo,
  });
};

/** A claimed member that is stopped is started for its job (caused by the claim). */
export const startClaimedFor = (member: MachineState): StartMachines | null =>
  member.machineId === null || !(member.claimedVersion > 0)
    ? null
    : build<StartMachines>(
        'StartMachines',
        { streamId: machineStreamId(member.machineId), version: member.claimedVersion },
        POOL_INTENT.startClaimed,
        { machineIds: [member.machineId], reason: 'claimed' },
      );
