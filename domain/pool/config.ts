import * as E from 'fp-ts/lib/Either.js';
import type { PoolSchedule } from '../events/pool-events.js';
import { parseJobLabels } from '../labels/index.js';
import { DEFAULT_IDLE_TIMEOUT_MINUTES, MAX_POOL_MEMBERS, POOL_NAME_PATTERN } from './constants.js';
import type { PoolConfig } from './pool-state.js';
import { isKnownTimeZone } from './targets.js';

/**
 * Validates a pools file (already parsed from YAML) into pool configurations. All-or-nothing: any error and nothing
 * is applied. Every message names the file, the pool and the field, and says what is allowed.
 *
 *   pools:
 *     - name: default                      # ^[a-zA-Z0-9][a-zA-Z0-9_-]*$, at most 63 characters
 *       label: runs-fleet/cpu=2/arch=arm64 # the members' spec (default: runs-fleet/pool=<name>)
 *       hot: 1                             # running idle members (desired running)
 *       stopped: 2                         # stopped members (desired stopped)
 *       idleTimeoutMinutes: 10
 *       timeZone: Europe/Berlin            # for schedules (default UTC)
 *       schedules:
 *         - { name: office, from: 8, to: 18, days: [mon, tue, wed, thu, fri], hot: 3, stopped: 2 }
 */
const POOL_KEYS = ['name', 'label', 'hot', 'stopped', 'idleTimeoutMinutes', 'timeZone', 'schedules'] as const;
const SCHEDULE_KEYS = ['name', 'from', 'to', 'days', 'hot', 'stopped'] as const;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Ctx {
  readonly where: string;
  readonly errors: string[];
}

const fail = (ctx: Ctx, field: string, why: string, value?: unknown): void => {
  const got = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
  ctx.errors.push(`${ctx.where}: field "${field}": ${why}${got}`);
};

const unknownKeys = (ctx: Ctx, fields: Fields, allowed: ReadonlyArray<string>): void => {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) fail(ctx, key, `unknown field; allowed: ${allowed.join(', ')}`);
  }
};

const integer = (ctx: Ctx, fields: Fields, field: string, range: { min: number; max: number; dflt?: number }) => {
  const value = fields[field];
  if (value === undefined && range.dflt !== undefined) return range.dflt;
  if (typeof value === 'number' && Number.isInteger(value) && value >= range.min && value <= range.max) return value;
  fail(ctx, field, `must be an integer ${String(range.min)}..${String(range.max)}`, value);

  return range.min;
};

const dayOf = (value: unknown): number | null => {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 6) return value;
  const index = typeof value === 'string' ? DAYS.indexOf(value.toLowerCase().slice(0, 3)) : -1;

  return index >= 0 && typeof value === 'string' && value.length >= 3 ? index : null;
};

const schedule = (ctx: Ctx, value: unknown, index: number): PoolSchedule | null => {
  const inner: Ctx = { where: `${ctx.where}, schedule ${String(index + 1)}`, errors: ctx.errors };
  if (!isObject(value)) {
    fail(inner, 'schedules', `each schedule is a mapping with ${SCHEDULE_KEYS.join(', ')}`, value);

    return null;
  }
  unknownKeys(inner, value, SCHEDULE_KEYS);
  const name = typeof value.name === 'string' && value.name !== '' ? value.name : `schedule-${String(index + 1)}`;
  const days = value.days ?? [];
  const parsedDays = Array.isArray(days) ? days.map(dayOf) : [null];
  if (parsedDays.some((day) => day === null))
    fail(inner, 'days', `a list of days: ${DAYS.join(', ')} (or 0..6, 0 = Sunday)`, days);

  return {
    name,
    startHour: integer(inner, value, 'from', { min: 0, max: 23 }),
    endHour: integer(inner, value, 'to', { min: 0, max: 24 }) % 24,
    daysOfWeek: parsedDays.filter((day): day is number => day !== null),
    desiredRunning: integer(inner, value, 'hot', { min: 0, max: MAX_POOL_MEMBERS, dflt: 0 }),
    desiredStopped: integer(inner, value, 'stopped', { min: 0, max: MAX_POOL_MEMBERS, dflt: 0 }),
  };
};

const labelOf = (ctx: Ctx, name: string, value: unknown): string => {
  const label = value === undefined ? `runs-fleet/pool=${name}` : value;
  if (typeof label !== 'string') {
    fail(ctx, 'label', 'must be a runs-fleet label such as runs-fleet/cpu=2/arch=arm64', label);

    return '';
  }
  const parsed = parseJobLabels([label], []);
  if (E.isLeft(parsed)) {
    fail(ctx, 'label', `not a usable runs-fleet label: ${parsed.left.message}`, label);
  } else if (parsed.right.backend === 'k8s') {
    fail(ctx, 'label', 'pools are EC2 instances (stopped and started); backend=k8s is not allowed', label);
  } else if (parsed.right.pool !== null && parsed.right.pool !== name) {
    fail(ctx, 'label', `names pool=${parsed.right.pool}, not this pool (${name})`, label);
  }

  return label;
};

const pool = (file: string, value: unknown, index: number, errors: string[]): PoolConfig | null => {
  const rawName = isObject(value) ? value.name : undefined;
  const named = typeof rawName === 'string' ? `pool "${rawName}"` : `pool ${String(index + 1)}`;
  const ctx: Ctx = { where: `${file}: ${named}`, errors };
  if (!isObject(value)) {
    fail(ctx, 'pools', `each pool is a mapping with ${POOL_KEYS.join(', ')}`, value);

    return null;
  }
  unknownKeys(ctx, value, POOL_KEYS);
  const name = typeof rawName === 'string' ? rawName : '';
  if (!POOL_NAME_PATTERN.test(name)) fail(ctx, 'name', `must match ${POOL_NAME_PATTERN.source}`, rawName);
  const timeZone = value.timeZone ?? null;
  if (timeZone !== null && (typeof timeZone !== 'string' || !isKnownTimeZone(timeZone)))
    fail(ctx, 'timeZone', 'an IANA time zone such as UTC or Europe/Berlin', timeZone);
  const schedules = value.schedules ?? [];
  if (!Array.isArray(schedules)) fail(ctx, 'schedules', 'a list of schedules', schedules);

  return {
    name,
    label: labelOf(ctx, name, value.label),
    desiredRunning: integer(ctx, value, 'hot', { min: 0, max: MAX_POOL_MEMBERS, dflt: 0 }),
    desiredStopped: integer(ctx, value, 'stopped', { min: 0, max: MAX_POOL_MEMBERS, dflt: 0 }),
    idleTimeoutMinutes: integer(ctx, value, 'idleTimeoutMinutes', {
      min: 1,
      max: 24 * 60,
      dflt: DEFAULT_IDLE_TIMEOUT_MINUTES,
    }),
    schedules: Array.isArray(schedules) ? schedules.flatMap((s: unknown, i) => schedule(ctx, s, i) ?? []) : [],
    ephemeral: false,
    timeZone: typeof timeZone === 'string' ? timeZone : null,
  };
};

export const validatePoolsDocument = (file: string, document: unknown): E.Either<string[], PoolConfig[]> => {
  const errors: string[] = [];
  const pools = isObject(document) ? document.pools : undefined;
  if (!isObject(document) || !Array.isArray(pools)) {
    return E.left([`${file}: expected a mapping with a "pools" list (see runs-fleet pools apply --help)`]);
  }
  if (isObject(document)) {
    for (const key of Object.keys(document))
      if (key !== 'pools') errors.push(`${file}: field "${key}": unknown top-level field; allowed: pools`);
  }
  const configs = pools.flatMap((value: unknown, index) => pool(file, value, index, errors) ?? []);
  const seen = new Set<string>();
  for (const config of configs) {
    if (seen.has(config.name)) errors.push(`${file}: pool "${config.name}": field "name": listed twice`);
    seen.add(config.name);
  }

  return errors.length > 0 ? E.left(errors) : E.right(configs);
};

/** Whether applying `next` over `current` changes anything (an unchanged pool appends nothing). */
export const configChanged = (current: PoolConfig | null, next: PoolConfig): boolean =>
  current === null || JSON.stringify(current) !== JSON.stringify(next);
