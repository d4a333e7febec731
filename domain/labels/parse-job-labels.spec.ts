import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { JobSpec } from './job-spec.js';
import { parseJobLabels } from './parse-job-labels.js';

const parse = (...labels: string[]) => parseJobLabels(labels, []);
const spec = (...labels: string[]): JobSpec => {
  const result = parse(...labels);
  if (E.isLeft(result)) throw new Error(`rejected: ${result.left.message}`);

  return result.right;
};

describe('the README usage block (runs-fleet=${{ github.run_id }} rendered as runs-fleet=12345)', () => {
  it('Basic (ARM64, 4 vCPUs, spot instance)', () => {
    expect(spec('runs-fleet=12345/cpu=4/arch=arm64')).toEqual({
      label: 'runs-fleet=12345/cpu=4/arch=arm64',
      aliasLabel: null,
      runId: '12345',
      cpu: { min: 4, max: 8 },
      ram: null,
      arch: 'arm64',
      families: [],
      gen: null,
      disk: null,
      pool: null,
      spot: true,
      backend: null,
      instanceTypes: [
        'c8g.xlarge',
        'c7g.xlarge',
        'm8g.xlarge',
        'm7g.xlarge',
        'r8g.xlarge',
        'c8g.2xlarge',
        'c7g.2xlarge',
        'm8g.2xlarge',
        'm7g.2xlarge',
        'r8g.2xlarge',
      ],
      warnings: [],
    });
  });

  it('Fast start with warm pool', () => {
    expect(spec('runs-fleet=12345/cpu=4/arch=arm64/pool=default')).toMatchObject({ pool: 'default', runId: '12345' });
  });

  it('Spot diversification across instance sizes', () => {
    expect(spec('runs-fleet=12345/cpu=4+16/family=c7g+m7g/arch=arm64')).toMatchObject({
      cpu: { min: 4, max: 16 },
      families: ['c7g', 'm7g'],
      instanceTypes: ['c7g.xlarge', 'm7g.xlarge', 'c7g.2xlarge', 'm7g.2xlarge', 'c7g.4xlarge', 'm7g.4xlarge'],
    });
  });

  it('Force on-demand for critical jobs', () => {
    expect(spec('runs-fleet=12345/cpu=4/arch=arm64/spot=false')).toMatchObject({
      spot: false,
      cpu: { min: 4, max: 8 },
    });
  });
});

describe('resolution against the catalog', () => {
  it('bare marker: 2..4 vCPUs across both arches, arm64 first at each size', () => {
    expect(spec('runs-fleet').instanceTypes).toEqual([
      'c8g.large',
      'c7g.large',
      'c6i.large',
      'c7i.large',
      'm8g.large',
      'm7g.large',
      'm6i.large',
      'm7i.large',
      'r8g.large',
      'c8g.xlarge',
      'c7g.xlarge',
      'c6i.xlarge',
      'c7i.xlarge',
      'm8g.xlarge',
      'm7g.xlarge',
      'm6i.xlarge',
      'm7i.xlarge',
      'r8g.xlarge',
    ]);
  });

  it('lesson 13: no burstable without family=, whatever the size asked for', () => {
    for (const label of [
      'runs-fleet',
      'runs-fleet/cpu=2+2',
      'runs-fleet/arch=amd64/ram=4+4',
      'runs-fleet/cpu=8/arch=arm64',
    ]) {
      expect(spec(label).instanceTypes.filter((t) => t.startsWith('t'))).toEqual([]);
    }
  });

  it.each([
    ['runs-fleet/gen=3', 'gen=3'],
    ['runs-fleet/gen=3/arch=amd64', 'gen=3'],
    ['runs-fleet/gen=4/arch=arm64', 'gen=4'],
    ['runs-fleet/family=x9z', 'families=x9z'],
    ['runs-fleet/ram=4096', 'ram=>=4096 GiB'],
    ['runs-fleet/cpu=1+1/arch=amd64', 'cpu=1..1'],
  ])('%s matches no instance type', (label, criterion) => {
    const result = parse(label);
    expect(result).toMatchObject(E.left({ code: 'no-matching-instance-types' }));
    expect(E.isLeft(result) && result.left.message).toContain(criterion);
  });

  it('family-less gen=3 names the opt-in in its message', () => {
    expect(parse('runs-fleet/gen=3')).toMatchObject(E.left({ message: expect.stringContaining('family=t3') }));
  });

  it.each([
    ['runs-fleet/family=t3/gen=3', ['t3.medium', 't3.large', 't3.xlarge']],
    ['runs-fleet/family=T4G/gen=4/cpu=8+8', ['t4g.2xlarge']],
    ['runs-fleet/gen=8/cpu=1+1', ['c8g.medium', 'm8g.medium', 'r8g.medium']],
    ['runs-fleet/gen=6', ['c6i.large', 'm6i.large', 'c6i.xlarge', 'm6i.xlarge']],
    ['runs-fleet/gen=7/arch=amd64/cpu=2+2', ['c7i.large', 'm7i.large']],
    ['runs-fleet/family=c7g/ram=8', ['c7g.xlarge']],
    ['runs-fleet/family=c7g/cpu=4+64/ram=8+16', ['c7g.xlarge', 'c7g.2xlarge']],
    ['runs-fleet/family=r7i+r6i/cpu=2+2', ['r6i.large', 'r7i.large']],
  ])('%s resolves to %j', (label, types) => {
    expect(spec(label).instanceTypes).toEqual(types);
  });

  it('backend=k8s skips instance types and never rejects for them', () => {
    expect(spec('runs-fleet/backend=k8s/gen=3/cpu=3+3')).toMatchObject({ backend: 'k8s', instanceTypes: [], gen: 3 });
  });

  it('backend=ec2 resolves as usual', () => {
    expect(parse('runs-fleet/backend=ec2/gen=3')).toMatchObject(E.left({ code: 'no-matching-instance-types' }));
  });
});

describe('ours-detection', () => {
  it('ignores other labels and takes the first marker', () => {
    expect(spec('self-hosted', 'linux', 'runs-fleet/cpu=8', 'runs-fleet=1/cpu=2')).toMatchObject({
      label: 'runs-fleet/cpu=8',
      runId: null,
    });
  });

  it.each([[[]], [['ubuntu-latest']], [['runs-fleet-foo', 'runs-fleetish']]])('%j is not ours', (labels) => {
    expect(parseJobLabels(labels, [])).toMatchObject(E.left({ code: 'not-ours' }));
  });

  it('keeps warnings of the marker and of ignored segments, in order', () => {
    expect(spec('runs-fleet=/foo=1/fast').warnings).toEqual([
      'empty run id in runs-fleet= marker ignored',
      "unknown key 'foo' ignored",
      "segment 'fast' has no '='; ignored",
    ]);
  });

  it('an invalid segment in the first marker rejects even if a later marker is valid', () => {
    expect(parse('runs-fleet/cpu=x', 'runs-fleet/cpu=4')).toMatchObject(E.left({ code: 'invalid-label' }));
  });
});
