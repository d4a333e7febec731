import * as E from 'fp-ts/lib/Either.js';
import { familiesFor, selectInstanceTypes } from '../catalog/index.js';
import type { JobSpec } from './job-spec.js';
import type { LabelRejection } from './rejection.js';
import { noMatchingInstanceTypes } from './rejection.js';
import type { ParsedSpec } from './spec-segments.js';

/** Which label produced a spec: the fields of JobSpec that the spec text itself cannot say. */
export interface LabelOrigin {
  readonly label: string;
  readonly aliasLabel: string | null;
  readonly runId: string | null;
}

const describeRam = (ram: ParsedSpec['ram']): string =>
  ram === null ? 'any' : ram.max === null ? `>=${ram.min}` : `${ram.min}..${ram.max}`;

const describeFamilies = (spec: ParsedSpec): string =>
  spec.families.length > 0
    ? familiesFor(spec).join('+')
    : `${familiesFor(spec).join('+')} (the defaults; burstables need family=t3 or family=t4g)`;

const describe = (spec: ParsedSpec): string =>
  [
    `cpu=${spec.cpu.min}..${spec.cpu.max}`,
    `ram=${describeRam(spec.ram)} GiB`,
    `arch=${spec.arch ?? 'any'}`,
    `gen=${spec.gen ?? 'any'}`,
    `families=${describeFamilies(spec)}`,
  ].join(', ');

// Field by field, so the JSON of every JobSpec lists its keys in the codec's order.
const toJobSpec = (origin: LabelOrigin, spec: ParsedSpec, instanceTypes: ReadonlyArray<string>): JobSpec => ({
  label: origin.label,
  aliasLabel: origin.aliasLabel,
  runId: origin.runId,
  cpu: spec.cpu,
  ram: spec.ram,
  arch: spec.arch,
  families: spec.families,
  gen: spec.gen,
  disk: spec.disk,
  pool: spec.pool,
  spot: spec.spot,
  backend: spec.backend,
  instanceTypes,
  warnings: spec.warnings,
});

/**
 * Completes a parsed spec with its EC2 instance types. A k8s pod is sized from the spec itself, so `backend=k8s` never
 * rejects here; its types are still resolved, for the EC2 fallback of a pod no node can fit.
 */
export const resolveSpec = (origin: LabelOrigin, spec: ParsedSpec): E.Either<LabelRejection, JobSpec> => {
  const types = selectInstanceTypes(spec).map((it) => it.name);
  if (spec.backend === 'k8s') return E.right(toJobSpec(origin, spec, types));

  return types.length === 0
    ? E.left(noMatchingInstanceTypes(`no instance types match ${describe(spec)}`))
    : E.right(toJobSpec(origin, spec, types));
};
