import type { PoolActions } from '../events/pool-events.js';
import type { MachineStatus } from '../machine/machine-state.js';
import { toMillis } from '../shared/time.js';
import { BOOT_GRACE_MINUTES, DEFAULT_IDLE_TIMEOUT_MINUTES, DWELL_SECONDS } from './constants.js';
import type { PoolState } from './pool-state.js';
import { ephemeralTargets, type PoolDemand } from './ephemeral.js';
import { poolTargets, type PoolTargets } from './targets.js';

/**
 * The pool reconciler: pure. Given the pool, what its members look like now and the time, what should be done (SPEC
 * section 4): start stopped members first when hot is short, launch new on-demand members for the rest; stop idle hot
 * members beyond the desired count while stopped is short, terminate the excess; never touch a member that is
 * claimed, holds a runner config, is booting, or changed state within the dwell time (lesson 8), and in a hot pool
 * only after the idle timeout. Null when there is nothing to do (nothing is recorded then).
 */
export interface MemberObservation {
  readonly machineId: string;
  /** The member stream's version (0: its launch is decided but not yet claimed). */
  readonly version: number;
  readonly status: MachineStatus;
  readonly claimed: boolean;
  readonly retiring: 'stop' | 'terminate' | null;
  readonly startFailed: boolean;
  readonly configPrepared: boolean;
  /** When it last launched or started (null: not yet). */
  readonly bootedAt: string | null;
  /** When its status (or claim, or fence) last changed. */
  readonly statusSince: string | null;
}

export interface ReconcileInput {
  readonly pool: PoolState;
  readonly members: ReadonlyArray<MemberObservation>;
  readonly now: string;
  /** Ephemeral pools are sized from it; configured pools ignore it. */
  readonly demand?: PoolDemand;
}

export interface ReconcileDecision {
  readonly observed: {
    readonly poolVersion: number;
    readonly members: ReadonlyArray<{ readonly machineId: string; readonly version: number }>;
  };
  readonly desired: { readonly running: number; readonly stopped: number };
  readonly actions: PoolActions;
  readonly label: string;
  readonly reasons: ReadonlyArray<string>;
}

/** Why a member is not a scale-down candidate: each guard of SPEC section 4, in the order they are checked. */
export type GuardMiss = 'runner-config' | 'boot-grace' | 'dwell' | 'hot-idle-timeout';

const secondsSince = (now: string, since: string | null): number =>
  since === null ? -Infinity : (toMillis(now) - toMillis(since)) / 1000;

/** The scale-down guard chain (lesson 8); null when the member may be stopped or terminated. */
export const guardMiss = (
  member: MemberObservation,
  now: string,
  hot: { readonly desiredRunning: number; readonly idleTimeoutMinutes: number },
): GuardMiss | null => {
  if (member.configPrepared) return 'runner-config';
  if (secondsSince(now, member.bootedAt) < BOOT_GRACE_MINUTES * 60) return 'boot-grace';
  if (secondsSince(now, member.statusSince) < DWELL_SECONDS) return 'dwell';
  const idleTimeout = hot.idleTimeoutMinutes > 0 ? hot.idleTimeoutMinutes : DEFAULT_IDLE_TIMEOUT_MINUTES;
  if (hot.desiredRunning > 0 && secondsSince(now, member.statusSince) < idleTimeout * 60) return 'hot-idle-timeout';

  return null;
};

type Role = 'gone' | 'claimed' | 'booting' | 'ready' | 'stopping' | 'stopped' | 'starting' | 'leaving' | 'broken';

const BOOTING: ReadonlySet<MachineStatus> = new Set(['unknown', 'requested', 'launched']);

const roleOf = (member: MemberObservation, starting: ReadonlySet<string>): Role => {
  if (member.status === 'terminated' || member.status === 'failed') return 'gone';
  if (member.claimed) return 'claimed';
  if (member.retiring === 'terminate') return 'leaving';
  if (member.startFailed) return 'broken';
  if (BOOTING.has(member.status)) return 'booting';
  if (member.status === 'running') return member.retiring === 'stop' ? 'stopping' : 'ready';

  return starting.has(member.machineId) ? 'starting' : 'stopped';
};

/** Starts the last reconcile asked for, still in flight (within the boot grace of that decision). */
const inFlightStarts = (pool: PoolState, now: string): ReadonlySet<string> => {
  const last = pool.lastReconcile;
  if (last === null || secondsSince(now, last.at) >= BOOT_GRACE_MINUTES * 60) return new Set();

  return new Set(last.actions.start);
};

/** Oldest state first, then by id: deterministic, and the longest-idle member goes first. */
const byAge = (a: MemberObservation, b: MemberObservation): number =>
  (a.statusSince ?? '') < (b.statusSince ?? '')
    ? -1
    : (a.statusSince ?? '') > (b.statusSince ?? '')
      ? 1
      : a.machineId < b.machineId
        ? -1
        : 1;

const grouped = (members: ReadonlyArray<MemberObservation>, starting: ReadonlySet<string>) => {
  const groups = new Map<Role, MemberObservation[]>();
  for (const member of members) {
    const role = roleOf(member, starting);
    groups.set(role, [...(groups.get(role) ?? []), member]);
  }

  return (role: Role): MemberObservation[] => [...(groups.get(role) ?? [])].sort(byAge);
};

const targetsOf = ({ pool, now, demand }: ReconcileInput): PoolTargets => {
  const configured = poolTargets(pool.config, pool.removed, now);
  if (pool.config === null || !pool.config.ephemeral || pool.removed || demand === undefined) return configured;

  return { ...ephemeralTargets(pool.config, demand, now), schedule: null };
};

export const reconcilePool = (input: ReconcileInput): ReconcileDecision | null => {
  const { pool, members, now } = input;
  if (pool.config === null) return null;
  const targets = targetsOf(input);
  const { running: wantHot, stopped: wantStopped } = targets;
  const of = grouped(members, inFlightStarts(pool, now));
  const ready = of('ready');
  const hotHave = ready.length + of('booting').length + of('starting').length;
  const stoppedIdle = of('stopped');
  const stoppedHave = stoppedIdle.length + of('stopping').length;
  const reasons: string[] = [];

  // Scale up: stopped members first (seconds), new on-demand members for the rest (minutes).
  const start = stoppedIdle.slice(0, Math.max(0, wantHot - hotHave));
  const launchHot = Math.max(0, wantHot - hotHave - start.length);
  const stoppedAfterStart = stoppedHave - start.length;
  const surplusHot = Math.max(0, hotHave - wantHot);
  const launchStopped = Math.max(0, wantStopped - stoppedAfterStart - surplusHot);
  if (start.length + launchHot > 0)
    reasons.push(`hot ${hotHave} < ${wantHot}: start ${start.length} stopped, launch ${launchHot}`);
  if (launchStopped > 0) reasons.push(`stopped ${stoppedAfterStart} < ${wantStopped}: launch ${launchStopped}`);

  // Scale down ready members past every guard: stop while stopped is short, terminate the rest.
  const hot = { desiredRunning: wantHot, idleTimeoutMinutes: pool.config.idleTimeoutMinutes };
  const candidates = ready.filter((member) => guardMiss(member, now, hot) === null);
  const excess = candidates.slice(0, Math.max(0, ready.length - wantHot));
  const stopRoom = Math.max(0, wantStopped - stoppedAfterStart);
  const stop = excess.slice(0, stopRoom);
  const retire = excess.slice(stop.length);
  if (excess.length > 0)
    reasons.push(`ready ${ready.length} > ${wantHot}: stop ${stop.length}, terminate ${retire.length}`);

  // Excess stopped members (not the ones being started), past the dwell time.
  const startIds = new Set(start.map((member) => member.machineId));
  const extraStopped = stoppedIdle
    .filter((member) => !startIds.has(member.machineId) && secondsSince(now, member.statusSince) >= DWELL_SECONDS)
    .slice(0, Math.max(0, stoppedAfterStart - wantStopped));
  if (extraStopped.length > 0)
    reasons.push(`stopped ${stoppedAfterStart} > ${wantStopped}: terminate ${extraStopped.length}`);
  const broken = of('broken');
  if (broken.length > 0) reasons.push(`${broken.length} member(s) failed to start: terminate`);

  const ids = (list: ReadonlyArray<MemberObservation>) => list.map((member) => member.machineId);
  const actions: PoolActions = {
    launch: launchHot + launchStopped,
    start: ids(start),
    stop: ids(stop),
    terminate: [...ids(retire), ...ids(extraStopped), ...ids(broken)],
  };
  const acts = actions.launch + actions.start.length + actions.stop.length + actions.terminate.length > 0;
  if (!acts) return null;
  const alive = members.filter((member) => {
    const role = roleOf(member, new Set());

    return role !== 'gone' && role !== 'claimed';
  });
  if (targets.schedule !== null) reasons.unshift(`schedule ${targets.schedule}`);
  if (pool.removed) reasons.unshift('pool removed');

  return {
    observed: {
      poolVersion: pool.version,
      members: alive.map(({ machineId, version }) => ({ machineId, version })),
    },
    desired: { running: wantHot, stopped: wantStopped },
    actions,
    label: pool.config.label,
    reasons,
  };
};
