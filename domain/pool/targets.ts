import type { PoolSchedule } from '../events/pool-events.js';
import { toMillis } from '../shared/time.js';
import type { PoolConfig } from './pool-state.js';

/**
 * What a pool should hold right now (SPEC section 4 "targets"): the first schedule that matches the hour and day in
 * the pool's time zone, else the configured numbers. A removed pool holds nothing. `Intl` is deterministic for a
 * given instant and zone, so this stays a pure function of its arguments.
 */
export interface PoolTargets {
  readonly running: number;
  readonly stopped: number;
  /** The schedule that applied, or null for the configured numbers. */
  readonly schedule: string | null;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', weekday: 'short' });
    formatters.set(timeZone, formatter);
  }

  return formatter;
};

/** Hour (0-23) and day of week (0 = Sunday) of `now` in `timeZone` (null = UTC). */
export const localHourAndDay = (now: string, timeZone: string | null): { hour: number; day: number } => {
  const parts = formatterFor(timeZone ?? 'UTC').formatToParts(toMillis(now));
  const hour = Number(parts.find((part) => part.type === 'hour')?.value ?? '0') % 24;
  const day = WEEKDAYS.indexOf(parts.find((part) => part.type === 'weekday')?.value ?? 'Sun');

  return { hour, day: Math.max(0, day) };
};

/** SPEC section 4: `s <= e ? s <= h < e : h >= s || h < e` (a window may wrap midnight); no days = every day. */
export const scheduleMatches = (schedule: PoolSchedule, hour: number, day: number): boolean => {
  const { startHour: s, endHour: e } = schedule;
  const inHours = s <= e ? s <= hour && hour < e : hour >= s || hour < e;

  return inHours && (schedule.daysOfWeek.length === 0 || schedule.daysOfWeek.includes(day));
};

/** Whether a time zone name is one `Intl` knows (for config validation). */
export const isKnownTimeZone = (timeZone: string): boolean => {
  try {
    formatterFor(timeZone);

    return true;
  } catch {
    return false;
  }
};

export const poolTargets = (config: PoolConfig | null, removed: boolean, now: string): PoolTargets => {
  if (config === null || removed) return { running: 0, stopped: 0, schedule: null };
  if (config.schedules.length > 0) {
    const { hour, day } = localHourAndDay(now, config.timeZone);
    const schedule = config.schedules.find((s) => scheduleMatches(s, hour, day));
    if (schedule !== undefined)
      return { running: schedule.desiredRunning, stopped: schedule.desiredStopped, schedule: schedule.name };
  }

  return { running: config.desiredRunning, stopped: config.desiredStopped, schedule: null };
};
