/**
 * Pure ISO-8601 arithmetic for the domain, which never reads a clock: times arrive as strings in event metadata and
 * command arguments, and rules such as "3 interruptions in 15 minutes" compare them here.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;

  return era * 146097 + doe - 719468;
};

const numbers = (match: RegExpExecArray): number[] => match.slice(1, 7).map((part) => Number(part));

/** Milliseconds since the epoch; throws on a malformed time, which only a programming error can produce here. */
export const toMillis = (iso: string): number => {
  const match = ISO.exec(iso);
  if (match === null) throw new RangeError(`not an ISO-8601 time: ${iso}`);
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = numbers(match);
  const millis = Number((match[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const zone = match[8] ?? 'Z';
  const offsetMinutes =
    zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const days = daysFromCivil(year, month, day);

  return ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis;
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The inverse of `toMillis`, always UTC with milliseconds, like `Date.prototype.toISOString`. */
export const fromMillis = (ms: number): string => {
  const days = Math.floor(ms / 86_400_000);
  const rest = ms - days * 86_400_000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const time = `${pad(Math.floor(rest / 3_600_000))}:${pad(Math.floor(rest / 60_000) % 60)}:${pad(Math.floor(rest / 1000) % 60)}`;

  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${time}.${pad(rest % 1000, 3)}Z`;
};

export const addMinutes = (iso: string, minutes: number): string => fromMillis(toMillis(iso) + minutes * 60_000);

export const minutesBetween = (from: string, to: string): number => (toMillis(to) - toMillis(from)) / 60_000;
