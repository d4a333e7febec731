import type { OrphanReason } from '../events/housekeeping-events.js';
import type { ManagedMachine } from '../ports/compute.js';
import { isNeeded } from '../process/rules.js';
import { minutesBetween } from '../shared/time.js';
import type { HousekeepingSettings } from './settings.js';
import { keep, type Keep } from './verdict.js';
import { latest, type HousekeepingViews, type MachineFacts } from './views.js';

/**
 * Orphan instances (SPEC section 6): a machine the cloud lists under our managed tag that nothing of ours needs, idle
 * past the grace period. The grace runs from the LAST sign of life, in the cloud (its launch or start) or in our
 * records (request, launch, end, its jobs' last news), so a booting machine, one just stopped into its pool, or one
 * whose job just finished is never judged. Warm-pool members are the pool reconciler's, except those of a removed pool.
 */
export type OrphanVerdict =
  | {
      readonly kind: 'orphan';
      readonly machineId: string;
      readonly reason: OrphanReason;
      readonly idleSince: string;
      readonly minutes: number;
    }
  | Keep;

type Judged = { readonly reason: OrphanReason; readonly signs: ReadonlyArray<string | null> } | Keep;

const isKeep = (judged: Judged | OrphanVerdict): judged is Keep => 'kind' in judged && judged.kind === 'keep';

const jobNews = (views: HousekeepingViews, machine: MachineFacts): ReadonlyArray<string | null> => {
  const own = machine.jobId === null ? undefined : views.job(machine.jobId);
  const used = machine.machineId === null ? undefined : views.runnerUse(machine.machineId);
  const served = used === undefined ? undefined : views.job(used.jobId);

  return [own?.times.updatedAt ?? null, served?.times.updatedAt ?? null];
};

const recordSigns = (machine: MachineFacts): ReadonlyArray<string | null> => [
  machine.requestedAt,
  machine.launchedAt,
  machine.endedAt,
];

/** Why a machine our records know is an orphan, or why it stays. */
const judgeKnown = (views: HousekeepingViews, machine: MachineFacts): Judged => {
  const signs = [...recordSigns(machine), ...jobNews(views, machine)];
  if (machine.status === 'terminated' || machine.status === 'failed') return { reason: 'ended-in-our-records', signs };
  if (machine.status === 'requested') return keep('its launch is in flight');
  if (machine.jobId === null && machine.pool !== null) {
    const pool = views.pools.get(machine.pool);
    if (pool?.removed !== true) return keep(`an unclaimed member of pool ${machine.pool}`);

    return { reason: 'pool-removed', signs: [...signs, pool.updatedAt] };
  }
  if (machine.jobId === null) return { reason: 'no-job-no-pool', signs };
  if (isNeeded(views, machine)) return keep('its job (or the job its runner took) still needs it');

  return { reason: 'not-needed', signs };
};

export const orphanVerdict = (
  views: HousekeepingViews,
  cloud: ManagedMachine,
  now: string,
  settings: HousekeepingSettings,
): OrphanVerdict => {
  const machineId = cloud.machineId;
  if (machineId === null) return keep('no machine-id tag: not ours to judge');
  // A transition is left alone unless it has lasted past the longest a job may run (SPEC section 6, orphans (1)): a
  // runner pod can stay Pending forever (no node fits it, its image cannot be pulled), an instance cannot.
  const stuck = cloud.launchedAt !== null && minutesBetween(cloud.launchedAt, now) >= settings.stuckTransitionMinutes;
  if ((cloud.state === 'pending' || cloud.state === 'stopping') && !stuck) return keep(`${cloud.state} in the cloud`);
  const machine = views.machine(machineId);
  const judged: Judged =
    machine === undefined || machine.status === 'unknown'
      ? { reason: 'unknown-to-us', signs: [] }
      : judgeKnown(views, machine);
  if (isKeep(judged)) return judged;
  const idleSince = latest([cloud.launchedAt, ...judged.signs]);
  if (idleSince === null) return keep('no time known: nothing to measure a grace period from');
  const minutes = minutesBetween(idleSince, now);
  if (minutes < settings.orphanGraceMinutes) return keep(`within the ${settings.orphanGraceMinutes}-minute grace`);

  return { kind: 'orphan', machineId, reason: judged.reason, idleSince, minutes };
};
