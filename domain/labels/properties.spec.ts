import * as fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { compileAliases } from './aliases.js';
import { JobSpec } from './job-spec.js';
import { parseJobLabels } from './parse-job-labels.js';
import { LabelRejection } from './rejection.js';

const aliases = compileAliases(
  JSON.stringify([
    { match: '^(?P<n>\\d+)cpu-?(.*)$', regex: true, spec: 'cpu=${n}/$2' },
    { match: 'lit', spec: 'cpu=2/arch=arm64' },
  ]),
);
const rules = E.isRight(aliases) ? aliases.right : [];

// Labels built from the grammar's own pieces reach far more branches than uniformly random strings.
const segment = fc.oneof(
  fc.string(),
  fc
    .tuple(
      fc.constantFrom('cpu', 'ram', 'family', 'gen', 'arch', 'pool', 'spot', 'disk', 'backend', 'foo', 'CPU'),
      fc.oneof(
        fc.string(),
        fc.nat({ max: 200 }).map(String),
        fc.constantFrom('4+16', '0+0', 'arm64', 't3', 'k8s', '8+2'),
      ),
    )
    .map(([k, v]) => `${k}=${v}`),
);
const label = fc.oneof(
  fc.string(),
  fc.array(segment, { maxLength: 6 }).map((s) => ['runs-fleet', ...s].join('/')),
  fc.tuple(fc.string(), fc.array(segment, { maxLength: 6 })).map(([id, s]) => [`runs-fleet=${id}`, ...s].join('/')),
  fc.tuple(fc.nat({ max: 300 }), fc.string()).map(([n, rest]) => `${n}cpu-${rest}`),
  fc.constant('lit'),
);

const check = (labels: string[]): void => {
  const result = parseJobLabels(labels, rules);
  if (E.isLeft(result)) {
    expect(LabelRejection.is(result.left)).toBe(true);

    return;
  }
  expect(E.isRight(JobSpec.decode(JSON.parse(JSON.stringify(result.right))))).toBe(true);
  expect(result.right.cpu.min).toBeLessThanOrEqual(result.right.cpu.max);
  expect(labels).toContain(result.right.label);
};

describe('parseJobLabels properties', () => {
  it('never throws on arbitrary strings; a JobSpec decodes and has cpu.min <= cpu.max', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (labels) => check(labels)),
      { numRuns: 500 },
    );
  });

  it('the same holds for labels shaped like the grammar', () => {
    fc.assert(
      fc.property(fc.array(label, { maxLength: 4 }), (labels) => check(labels)),
      { numRuns: 1000 },
    );
  });
});
