import * as E from 'fp-ts/lib/Either.js';
import type { Arch } from '../catalog/index.js';
import type { Backend } from './job-spec.js';

/** Each parser returns the rule the value broke, so messages can say what is allowed. */
type Parsed<A> = E.Either<string, A>;

export const CPU_RULE = 'cpu must be a whole number or MIN+MAX (e.g. cpu=4 or cpu=4+16)';
export const RAM_RULE = 'ram must be a non-negative number of GiB or MIN+MAX (e.g. ram=8 or ram=8+32)';
export const GEN_RULE = 'gen must be between 1 and 10';
export const DISK_RULE = 'disk must be a whole number of GiB between 1 and 16384';
export const BACKEND_RULE = 'backend must be ec2 or k8s';
/** Also what the pool API and the pool-demand path accept, so a pool named in a label can exist. */
export const POOL_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;
export const POOL_RULE = `pool must match ${POOL_NAME.source}`;

const WHOLE = /^\d+$/;
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/;

const whole = (s: string): number | null => (WHOLE.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : null);
const decimal = (s: string): number | null => (DECIMAL.test(s) && Number.isFinite(Number(s)) ? Number(s) : null);

/** `N` or `MIN+MAX`; a missing or unparsable part is null. */
const range = <A>(value: string, part: (s: string) => A | null): { min: A | null; max: A | null } | null => {
  const parts = value.split('+');
  if (parts.length > 2) return null;
  const [min = '', max] = parts;

  return { min: part(min), max: max === undefined ? null : part(max) };
};

/** min 0 means the default 2, max 0 means twice the min (SPEC section 1); unlike Go, max < min is rejected. */
export const parseCpu = (value: string): Parsed<{ min: number; max: number }> => {
  const r = range(value, whole);
  if (r === null || r.min === null || (value.includes('+') && r.max === null)) return E.left(CPU_RULE);
  const min = r.min === 0 ? 2 : r.min;
  const max = r.max === null || r.max === 0 ? 2 * min : r.max;

  return max < min ? E.left(`cpu max ${max} is below cpu min ${min} (${CPU_RULE})`) : E.right({ min, max });
};

/** A bare `ram=N` is a minimum only, deliberately unlike cpu; max 0 also means unbounded, as in Go. */
export const parseRam = (value: string): Parsed<{ min: number; max: number | null }> => {
  const r = range(value, decimal);
  if (r === null || r.min === null || (value.includes('+') && r.max === null)) return E.left(RAM_RULE);
  const max = r.max === 0 ? null : r.max;

  return max !== null && max < r.min
    ? E.left(`ram max ${max} is below ram min ${r.min} (${RAM_RULE})`)
    : E.right({ min: r.min, max });
};

const bounded = (value: string, lo: number, hi: number, rule: string): Parsed<number> => {
  const n = whole(value);

  return n !== null && n >= lo && n <= hi ? E.right(n) : E.left(rule);
};

export const parseGen = (value: string): Parsed<number> => bounded(value, 1, 10, GEN_RULE);
export const parseDisk = (value: string): Parsed<number> => bounded(value, 1, 16384, DISK_RULE);
export const parsePool = (value: string): Parsed<string> =>
  POOL_NAME.test(value) ? E.right(value) : E.left(POOL_RULE);

export const parseBackend = (value: string): Parsed<Backend> =>
  value === 'ec2' || value === 'k8s' ? E.right(value) : E.left(BACKEND_RULE);

const ARCH_ALIASES: ReadonlyMap<string, Arch> = new Map([
  ['arm64', 'arm64'],
  ['aarch64', 'arm64'],
  ['amd64', 'amd64'],
  ['x64', 'amd64'],
  ['x86_64', 'amd64'],
] as const);

/** Unknown architectures are ignored rather than rejected, as in Go: null here becomes a warning. */
export const parseArch = (value: string): Arch | null => ARCH_ALIASES.get(value) ?? null;

/** Only the exact lowercase `false` turns spot off (`False`, `0`, `no` keep it), as in Go. */
export const parseSpot = (value: string): boolean => value !== 'false';

export const parseFamilies = (value: string): ReadonlyArray<string> => [
  ...new Set(
    value
      .split('+')
      .map((f) => f.toLowerCase())
      .filter((f) => f !== ''),
  ),
];
