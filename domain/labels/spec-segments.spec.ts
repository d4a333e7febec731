import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ParsedSpec } from './spec-segments.js';
import { emptySpec, parseSpec } from './spec-segments.js';

const accepted: ReadonlyArray<readonly [string, Partial<ParsedSpec>]> = [
  ['', {}],
  // cpu: whole numbers; min 0 means 2, max 0 means twice the min
  ['cpu=4', { cpu: { min: 4, max: 8 } }],
  ['cpu=4+16', { cpu: { min: 4, max: 16 } }],
  ['cpu=4+4', { cpu: { min: 4, max: 4 } }],
  ['cpu=0', { cpu: { min: 2, max: 4 } }],
  ['cpu=0+0', { cpu: { min: 2, max: 4 } }],
  ['cpu=0+8', { cpu: { min: 2, max: 8 } }],
  ['cpu=4+0', { cpu: { min: 4, max: 8 } }],
  ['cpu=1+1', { cpu: { min: 1, max: 1 } }],
  // ram: floats, a bare value is a minimum only, max 0 is unbounded
  ['ram=8', { ram: { min: 8, max: null } }],
  ['ram=8+32', { ram: { min: 8, max: 32 } }],
  ['ram=0.5+1.5', { ram: { min: 0.5, max: 1.5 } }],
  ['ram=.5', { ram: { min: 0.5, max: null } }],
  ['ram=0', { ram: { min: 0, max: null } }],
  ['ram=8+0', { ram: { min: 8, max: null } }],
  ['ram=4+4', { ram: { min: 4, max: 4 } }],
  // family
  ['family=c7g+M7G', { families: ['c7g', 'm7g'] }],
  ['family=c7g+c7g', { families: ['c7g'] }],
  ['family=t3', { families: ['t3'] }],
  ['family=x9z', { families: ['x9z'], warnings: ["family 'x9z' is not in the catalog and matches nothing"] }],
  ['family=', { warnings: ['family= names no family; ignored'] }],
  // gen: 1..10
  ['gen=1', { gen: 1 }],
  ['gen=10', { gen: 10 }],
  // arch and its spellings; anything else is ignored
  ['arch=arm64', { arch: 'arm64' }],
  ['arch=aarch64', { arch: 'arm64' }],
  ['arch=amd64', { arch: 'amd64' }],
  ['arch=x64', { arch: 'amd64' }],
  ['arch=x86_64', { arch: 'amd64' }],
  ['arch=sparc', { warnings: ['arch=sparc is not arm64|amd64; ignored'] }],
  ['arch=ARM64', { warnings: ['arch=ARM64 is not arm64|amd64; ignored'] }],
  ['arch=arm64/arch=sparc', { arch: 'arm64', warnings: ['arch=sparc is not arm64|amd64; ignored'] }],
  // pool: 1..63 characters, starting alphanumeric
  ['pool=default', { pool: 'default' }],
  ['pool=a', { pool: 'a' }],
  ['pool=Team_1-x', { pool: 'Team_1-x' }],
  [`pool=${'p'.repeat(63)}`, { pool: 'p'.repeat(63) }],
  // spot: only exact lowercase false turns it off
  ['spot=false', { spot: false }],
  ['spot=False', { spot: true }],
  ['spot=0', { spot: true }],
  ['spot=no', { spot: true }],
  ['spot=true', { spot: true }],
  ['spot=false/spot=true', { spot: true }],
  // disk: 1..16384
  ['disk=1', { disk: 1 }],
  ['disk=16384', { disk: 16384 }],
  // backend (ours; the Go system dropped it)
  ['backend=ec2', { backend: 'ec2' }],
  ['backend=k8s', { backend: 'k8s' }],
  // ignored segments; keys are case-sensitive; removed keys are unknown
  ['foo=bar', { warnings: ["unknown key 'foo' ignored"] }],
  ['CPU=8', { warnings: ["unknown key 'CPU' ignored"] }],
  [
    'region=us-east-1/env=prod/public=true/os=linux',
    {
      warnings: [
        "unknown key 'region' ignored",
        "unknown key 'env' ignored",
        "unknown key 'public' ignored",
        "unknown key 'os' ignored",
      ],
    },
  ],
  ['constructor=1/__proto__=x', { warnings: ["unknown key 'constructor' ignored", "unknown key '__proto__' ignored"] }],
  ['fast', { warnings: ["segment 'fast' has no '='; ignored"] }],
  ['cpu=4//', { cpu: { min: 4, max: 8 } }],
  // repeated keys: last wins
  ['cpu=2/cpu=8', { cpu: { min: 8, max: 16 } }],
  ['pool=a/pool=b', { pool: 'b' }],
];

const rejected: ReadonlyArray<readonly [string, string]> = [
  ['cpu=abc', 'cpu=abc: cpu must be a whole number or MIN+MAX (e.g. cpu=4 or cpu=4+16)'],
  ['cpu=', 'cpu=: cpu must be a whole number or MIN+MAX'],
  ['cpu=-2', 'cpu=-2: cpu must be a whole number'],
  ['cpu=2.5', 'cpu=2.5: cpu must be a whole number'],
  ['cpu=4+', 'cpu=4+: cpu must be a whole number'],
  ['cpu=+4', 'cpu=+4: cpu must be a whole number'],
  ['cpu=1+2+3', 'cpu=1+2+3: cpu must be a whole number'],
  ['cpu=16+4', 'cpu=16+4: cpu max 4 is below cpu min 16'],
  ['cpu=0+1', 'cpu=0+1: cpu max 1 is below cpu min 2'],
  ['ram=abc', 'ram=abc: ram must be a non-negative number of GiB or MIN+MAX (e.g. ram=8 or ram=8+32)'],
  ['ram=-1', 'ram=-1: ram must be a non-negative number'],
  ['ram=', 'ram=: ram must be'],
  ['ram=1e3', 'ram=1e3: ram must be'],
  ['ram=32+8', 'ram=32+8: ram max 8 is below ram min 32'],
  ['gen=0', 'gen=0: gen must be between 1 and 10'],
  ['gen=11', 'gen=11: gen must be between 1 and 10'],
  ['gen=abc', 'gen=abc: gen must be between 1 and 10'],
  ['gen=7.0', 'gen=7.0: gen must be between 1 and 10'],
  ['pool=bad name', 'pool=bad name: pool must match ^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$'],
  ['pool=', 'pool=: pool must match'],
  ['pool=_x', 'pool=_x: pool must match'],
  [`pool=${'p'.repeat(64)}`, 'pool must match'],
  ['disk=0', 'disk=0: disk must be a whole number of GiB between 1 and 16384'],
  ['disk=16385', 'disk=16385: disk must be'],
  ['disk=10.5', 'disk=10.5: disk must be'],
  ['backend=lambda', 'backend=lambda: backend must be ec2 or k8s'],
  ['backend=', 'backend=: backend must be ec2 or k8s'],
  ['cpu=abc/cpu=4', 'cpu=abc: cpu must be'],
];

describe('parseSpec', () => {
  it.each(accepted)('accepts %j', (spec, expected) => {
    expect(parseSpec(spec)).toEqual(E.right({ ...emptySpec, ...expected }));
  });

  it.each(rejected)('rejects %j as invalid-label', (spec, message) => {
    const result = parseSpec(spec);
    expect(result).toMatchObject(E.left({ code: 'invalid-label' }));
    expect(E.isLeft(result) && result.left.message).toContain(message);
  });

  it('defaults to cpu 2..4, spot, any ram, no arch, gen, disk, pool or backend', () => {
    expect(emptySpec).toMatchObject({ cpu: { min: 2, max: 4 }, ram: null, spot: true, arch: null, backend: null });
  });
});
