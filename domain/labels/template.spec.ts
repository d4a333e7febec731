import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { compileRe2 } from './re2.js';
import { expandTemplate, parseTemplate } from './template.js';

const expand = (pattern: string, spec: string, label: string): string => {
  const compiled = compileRe2(pattern);
  if (E.isLeft(compiled)) throw new Error(compiled.left);
  const template = parseTemplate(spec, compiled.right);
  const match = compiled.right.regex.exec(label);
  if (E.isLeft(template) || match === null) throw new Error('no template or no match');

  return expandTemplate(template.right, match);
};

describe('alias spec templates', () => {
  it.each([
    ['(\\d+)-(\\w+)', 'cpu=$1/arch=$2', '8-arm64', 'cpu=8/arch=arm64'],
    ['(\\d+)', 'cpu=${1}0', '4', 'cpu=40'],
    ['(?P<n>\\d+)', 'cpu=${n}/pool=p$n', '4', 'cpu=4/pool=p4'],
    ['x(\\d+)', 'label=$0', 'ax12', 'label=x12'],
    ['(\\d+)', 'cost=$$1', '4', 'cost=$1'],
    ['(a)?(\\d)', 'cpu=$2$1', '4', 'cpu=4'],
    ['\\d', 'cpu=2', '4', 'cpu=2'],
  ])('%s with %s on %s gives %s', (pattern, spec, label, expected) => {
    expect(expand(pattern, spec, label)).toBe(expected);
  });
});
