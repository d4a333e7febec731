import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { catalogFamilies } from '../catalog/index.js';
import type { JobSpec } from './job-spec.js';
import type { LabelRejection } from './rejection.js';
import { invalidLabel } from './rejection.js';
import {
  parseArch,
  parseBackend,
  parseCpu,
  parseDisk,
  parseFamilies,
  parseGen,
  parsePool,
  parseRam,
  parseSpot,
} from './values.js';

/** A spec before instance types are resolved and before we know which label it came from. */
export type ParsedSpec = Omit<JobSpec, 'label' | 'aliasLabel' | 'runId' | 'instanceTypes'>;

export const emptySpec: ParsedSpec = {
  cpu: { min: 2, max: 4 },
  ram: null,
  arch: null,
  families: [],
  gen: null,
  disk: null,
  pool: null,
  spot: true,
  backend: null,
  warnings: [],
};

type Step = E.Either<LabelRejection, ParsedSpec>;
type KeyHandler = (spec: ParsedSpec, value: string, segment: string) => Step;

const warn = (spec: ParsedSpec, warning: string): ParsedSpec => ({ ...spec, warnings: [...spec.warnings, warning] });

/** Lifts a value parser: its error is the rule, prefixed with the offending segment. */
const strict =
  <A>(parse: (value: string) => E.Either<string, A>, apply: (spec: ParsedSpec, a: A) => ParsedSpec): KeyHandler =>
  (spec, value, segment) =>
    pipe(
      parse(value),
      E.bimap(
        (rule) => invalidLabel(`${segment}: ${rule}`),
        (a) => apply(spec, a),
      ),
    );

const unknownFamilies = (families: ReadonlyArray<string>): ReadonlyArray<string> =>
  families.filter((f) => !catalogFamilies.includes(f));

const family: KeyHandler = (spec, value, segment) => {
  const families = parseFamilies(value);
  if (families.length === 0) return E.right(warn(spec, `${segment} names no family; ignored`));
  const unknown = unknownFamilies(families).map((f) => `family '${f}' is not in the catalog and matches nothing`);

  return E.right({ ...spec, families, warnings: [...spec.warnings, ...unknown] });
};

const arch: KeyHandler = (spec, value, segment) => {
  const parsed = parseArch(value);

  return E.right(parsed === null ? warn(spec, `${segment} is not arm64|amd64; ignored`) : { ...spec, arch: parsed });
};

// A Map, not an object literal, so keys such as `constructor` or `__proto__` are unknown keys like any other.
const HANDLERS: ReadonlyMap<string, KeyHandler> = new Map<string, KeyHandler>([
  ['cpu', strict(parseCpu, (s, cpu) => ({ ...s, cpu }))],
  ['ram', strict(parseRam, (s, ram) => ({ ...s, ram }))],
  ['family', family],
  ['gen', strict(parseGen, (s, gen) => ({ ...s, gen }))],
  ['arch', arch],
  ['pool', strict(parsePool, (s, pool) => ({ ...s, pool }))],
  ['spot', (s, value) => E.right({ ...s, spot: parseSpot(value) })],
  ['disk', strict(parseDisk, (s, disk) => ({ ...s, disk }))],
  ['backend', strict(parseBackend, (s, backend) => ({ ...s, backend }))],
]);

const applySegment = (spec: ParsedSpec, segment: string): Step => {
  if (segment === '') return E.right(spec);
  const eq = segment.indexOf('=');
  if (eq === -1) return E.right(warn(spec, `segment '${segment}' has no '='; ignored`));
  const key = segment.slice(0, eq);
  const handler = HANDLERS.get(key);

  return handler === undefined
    ? E.right(warn(spec, `unknown key '${key}' ignored`))
    : handler(spec, segment.slice(eq + 1), segment);
};

/**
 * Parses the `/`-separated `key=value` part of a label (SPEC section 1). Segments apply left to right, so a repeated
 * key's last valid value wins, and the first invalid segment rejects the whole label, as in Go.
 */
export const parseSpec = (spec: string): E.Either<LabelRejection, ParsedSpec> =>
  spec.split('/').reduce<Step>(
    (acc, segment) =>
      pipe(
        acc,
        E.flatMap((s) => applySegment(s, segment)),
      ),
    E.right(emptySpec),
  );
