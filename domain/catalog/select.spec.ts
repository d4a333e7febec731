import { describe, expect, it } from 'vitest';
import { DEFAULT_FAMILIES, defaultFamiliesFor } from './default-families.js';
import { instanceTypes } from './instance-types.js';
import type { SelectionCriteria } from './select.js';
import { compareInstanceTypes, selectInstanceTypes } from './select.js';

const criteria = (c: Partial<SelectionCriteria>): SelectionCriteria => ({
  arch: null,
  gen: null,
  cpu: { min: 2, max: 4 },
  ram: null,
  families: [],
  ...c,
});
const names = (c: Partial<SelectionCriteria>): ReadonlyArray<string> =>
  selectInstanceTypes(criteria(c)).map((it) => it.name);
const families = (c: Partial<SelectionCriteria>): ReadonlyArray<string> => [
  ...new Set(selectInstanceTypes(criteria(c)).map((it) => it.family)),
];

describe('default families', () => {
  it.each([
    ['arm64', ['c8g', 'm8g', 'r8g', 'c7g', 'm7g']],
    ['amd64', ['c6i', 'c7i', 'm6i', 'm7i']],
    [null, ['c8g', 'm8g', 'r8g', 'c7g', 'm7g', 'c6i', 'c7i', 'm6i', 'm7i']],
  ] as const)('for arch %s', (arch, expected) => {
    expect(defaultFamiliesFor(arch)).toEqual(expected);
  });

  it('lesson 13: no burstable is ever a default, for any arch, size or generation', () => {
    const all = [...DEFAULT_FAMILIES.arm64, ...DEFAULT_FAMILIES.amd64];
    expect(all.some((f) => f.startsWith('t'))).toBe(false);
    for (const arch of ['arm64', 'amd64', null] as const) {
      const picked = selectInstanceTypes(criteria({ arch, cpu: { min: 1, max: 8 } }));
      expect(picked.filter((it) => it.burstable)).toEqual([]);
    }
  });

  it('leaves r7g, r6i and r7i out unless named', () => {
    expect(families({ cpu: { min: 1, max: 512 } })).not.toContain('r7g');
    expect(families({ arch: 'amd64', cpu: { min: 1, max: 512 } })).toEqual(['c6i', 'c7i', 'm6i', 'm7i']);
    expect(families({ families: ['R7G'], cpu: { min: 2, max: 2 } })).toEqual(['r7g']);
  });

  it('opts burstables back in when named', () => {
    expect(names({ families: ['t3'] })).toEqual(['t3.medium', 't3.large', 't3.xlarge']);
  });
});

describe('selectInstanceTypes', () => {
  it.each([
    [
      'arch arm64',
      { arch: 'arm64' as const },
      [
        'c8g.large',
        'c7g.large',
        'm8g.large',
        'm7g.large',
        'r8g.large',
        'c8g.xlarge',
        'c7g.xlarge',
        'm8g.xlarge',
        'm7g.xlarge',
        'r8g.xlarge',
      ],
    ],
    [
      'exact cpu',
      { arch: 'amd64' as const, cpu: { min: 4, max: 4 } },
      ['c6i.xlarge', 'c7i.xlarge', 'm6i.xlarge', 'm7i.xlarge'],
    ],
    [
      'cpu 1 (medium)',
      { arch: 'arm64' as const, cpu: { min: 1, max: 1 } },
      ['c8g.medium', 'c7g.medium', 'm8g.medium', 'm7g.medium', 'r8g.medium'],
    ],
    ['gen 7 amd64', { arch: 'amd64' as const, gen: 7 }, ['c7i.large', 'm7i.large', 'c7i.xlarge', 'm7i.xlarge']],
    [
      'ram minimum',
      { arch: 'arm64' as const, ram: { min: 16, max: null } },
      ['r8g.large', 'm8g.xlarge', 'm7g.xlarge', 'r8g.xlarge'],
    ],
    [
      'ram range',
      { arch: 'amd64' as const, ram: { min: 8, max: 8 } },
      ['m6i.large', 'm7i.large', 'c6i.xlarge', 'c7i.xlarge'],
    ],
    ['ram below every type', { arch: 'amd64' as const, ram: { min: 0, max: 2 } }, []],
    ['gen 3 without family', { gen: 3 }, []],
    ['gen 4 arm64 without family', { arch: 'arm64' as const, gen: 4 }, []],
    ['gen 4 with t4g', { gen: 4, families: ['t4g'] }, ['t4g.medium', 't4g.large', 't4g.xlarge']],
    ['unknown family', { families: ['x9z'] }, []],
    ['family of the other arch', { arch: 'arm64' as const, families: ['c6i'] }, []],
  ])('%s', (_, c, expected) => {
    expect(names(c)).toEqual(expected);
  });

  it('matches families case-insensitively', () => {
    expect(names({ families: ['C7G', 'm7G'] })).toEqual(names({ families: ['c7g', 'm7g'] }));
  });

  it('orders by vCPUs, then GiB, then default-family preference, then non-default families alphabetically', () => {
    const picked = names({ families: ['r7i', 'm7i', 't3', 'c6i', 'r6i', 'c8g'], cpu: { min: 2, max: 2 } });
    expect(picked).toEqual(['c8g.large', 'c6i.large', 't3.medium', 'm7i.large', 't3.large', 'r6i.large', 'r7i.large']);
  });

  it('is one total order: any permutation of the catalog gives the same list', () => {
    const reversed = [...instanceTypes].reverse();
    const c = criteria({ families: ['c8g', 'c7g', 'c6i', 'c7i', 't3', 't4g', 'r6i', 'r7i'], cpu: { min: 1, max: 64 } });
    expect(selectInstanceTypes(c, reversed)).toEqual(selectInstanceTypes(c));
    const sorted = [...instanceTypes].sort(compareInstanceTypes);
    for (let i = 1; i < sorted.length; i++) {
      expect(compareInstanceTypes(sorted[i - 1]!, sorted[i]!)).toBeLessThan(0);
    }
  });
});
