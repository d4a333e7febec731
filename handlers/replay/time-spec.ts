import * as E from 'fp-ts/lib/Either.js';

/** `-15m`, `-2h`, `-30s`, `-7d`: a time relative to now. */
const RELATIVE = /^-(\d+)([smhd])$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ISO = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;

/** An ISO 8601 time or a relative one (`-15m`, `-2h`), as an ISO 8601 UTC string. */
export const parseTimeSpec = (input: string, now: Date = new Date()): E.Either<string, string> => {
  const relative = RELATIVE.exec(input);
  if (relative !== null) {
    const [, amount = '0', unit = 's'] = relative;
    return E.right(new Date(now.getTime() - Number(amount) * (UNIT_MS[unit] ?? 0)).toISOString());
  }
  const ms = Date.parse(input);
  if (!ISO.test(input) || Number.isNaN(ms))
    return E.left(`${JSON.stringify(input)} is not a time: use ISO 8601 (2026-11-27T12:00:00Z) or -15m, -2h, -1d`);
  return E.right(new Date(ms).toISOString());
};
