import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { JobSpec } from './job-spec.js';
import type { LabelRejection } from './rejection.js';
import type { LabelOrigin } from './resolve.js';
import { resolveSpec } from './resolve.js';
import type { ParsedSpec } from './spec-segments.js';
import { parseSpec } from './spec-segments.js';
import { POOL_NAME } from './values.js';

/**
 * An alias label that sets no pool names its own ephemeral pool when it can be a pool name (SPEC section 1), so jobs
 * behind one alias share warm capacity.
 */
const aliasPool = (origin: LabelOrigin, spec: ParsedSpec): ParsedSpec =>
  origin.aliasLabel !== null && spec.pool === null && POOL_NAME.test(origin.aliasLabel)
    ? { ...spec, pool: origin.aliasLabel }
    : spec;

/** Spec text to JobSpec: parse, apply the alias pool rule, resolve instance types. */
export const buildJobSpec = (
  origin: LabelOrigin,
  specText: string,
  earlierWarnings: ReadonlyArray<string> = [],
): E.Either<LabelRejection, JobSpec> =>
  pipe(
    parseSpec(specText),
    E.map((spec) => aliasPool(origin, { ...spec, warnings: [...earlierWarnings, ...spec.warnings] })),
    E.flatMap((spec) => resolveSpec(origin, spec)),
  );
