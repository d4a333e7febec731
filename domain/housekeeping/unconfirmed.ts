import { minutesBetween } from '../shared/time.js';
import type { HousekeepingSettings } from './settings.js';
import { keep, type Keep } from './verdict.js';
import { latest, type HousekeepingViews, type JobFacts, type MachineFacts } from './views.js';

/**
 * Unconfirmed runners (SPEC section 6, 5 minutes): a machine launched (or claimed) for a job attempt that is still
 * waiting for it, whose runner has taken no job since. Its end goes through the process rules: terminated with the
 * reason `runner-unconfirmed`, the job is requeued by the still-queued rule, within its budget of 2, or fails visibly.
 */
export type UnconfirmedVerdict =
  | {
      readonly kind: 'unconfirmed';
      readonly machineId: string;
      readonly jobId: string;
      readonly attempt: number;
      readonly since: string;
      readonly minutes: number;
    }
  | Keep;

const WAITING = new Set(['provisioning', 'assigned']);

const waitsFor = (job: JobFacts, machineId: string, attempt: number): boolean =>
  job.attempt === attempt && WAITING.has(job.status) && (job.machineId === null || job.machineId === machineId);

export const unconfirmedVerdict = (
  views: HousekeepingViews,
  machine: MachineFacts,
  now: string,
  settings: HousekeepingSettings,
): UnconfirmedVerdict => {
  const { machineId, jobId, attempt } = machine;
  if (machineId === null || jobId === null || attempt === null) return keep('launched for no job');
  if (machine.status !== 'launched' && machine.status !== 'running') return keep(`machine is ${machine.status}`);
  if (machine.interrupted) return keep('interrupted: the interruption rules requeue its job');
  if (views.runnerUse(machineId) !== undefined) return keep('its runner took a job');
  const job = views.job(jobId);
  if (job === undefined || !waitsFor(job, machineId, attempt)) return keep('its job attempt no longer waits for it');
  const since = latest([machine.launchedAt, job.times.assignedAt]);
  if (since === null) return keep('no launch time recorded');
  const minutes = minutesBetween(since, now);
  if (minutes < settings.unconfirmedAfterMinutes) return keep(`within ${settings.unconfirmedAfterMinutes} minutes`);

  return { kind: 'unconfirmed', machineId, jobId, attempt, since, minutes };
};
