import { describe, expect, it } from 'vitest';
import { findInstanceType, instanceTypes } from './instance-types.js';

const familyOf = (family: string) => instanceTypes.filter((it) => it.family === family).map((it) => it.size);

describe('the instance-type catalog', () => {
  it('holds the 116 types of SPEC section 3', () => {
    // The SPEC's count, and the Go catalog's. A literal reading of "c7i/m7i/r7i large … 48xlarge" as "the c6i sizes
    // plus 48xlarge" would give 119, but AWS sells no c7i/m7i/r7i.32xlarge (the line jumps from 24xlarge to 48xlarge)
    // and neither does the Go catalog: 4 t4g + 24 gen-7 Graviton + 30 gen-8 Graviton + 4 t3 + 27 gen-6 Intel
    // + 27 gen-7 Intel = 116.
    expect(instanceTypes).toHaveLength(116);
    expect(new Set(instanceTypes.map((it) => it.name)).size).toBe(116);
  });

  it.each([
    ['t4g', ['medium', 'large', 'xlarge', '2xlarge']],
    ['t3', ['medium', 'large', 'xlarge', '2xlarge']],
    ['c7g', ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge']],
    [
      'r8g',
      ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'],
    ],
    ['m6i', ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge']],
    ['c7i', ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge']],
  ])('sizes of %s', (family, sizes) => {
    expect(familyOf(family)).toEqual(sizes);
  });

  it.each([
    ['t4g.medium', 'arm64', 2, 4, 4, true, 0.0336],
    ['t4g.2xlarge', 'arm64', 8, 32, 4, true, 0.2688],
    ['t3.medium', 'amd64', 2, 4, 3, true, 0.0544],
    ['t3.large', 'amd64', 2, 8, 3, true, 0.1088],
    ['c7g.medium', 'arm64', 1, 2, 7, false, 0.0428],
    ['m8g.large', 'arm64', 2, 8, 8, false, 0.108],
    ['r7g.xlarge', 'arm64', 4, 32, 7, false, 0.3212],
    ['c8g.48xlarge', 'arm64', 192, 384, 8, false, 10.08],
    ['c6i.32xlarge', 'amd64', 128, 256, 6, false, 6.848],
    ['r7i.48xlarge', 'amd64', 192, 1536, 7, false, 16.128],
  ] as const)('%s: %s, %i vCPU, %i GiB, gen %i, burstable %s, $%f/h', (name, arch, vcpus, gib, gen, burst, price) => {
    expect(findInstanceType(name)).toMatchObject({
      arch,
      vcpus,
      memoryGiB: gib,
      generation: gen,
      burstable: burst,
      onDemandPricePerHour: price,
    });
  });

  it('gives c, m and r types 2, 4 and 8 GiB per vCPU', () => {
    const ratio = { c: 2, m: 4, r: 8 } as const;
    for (const it of instanceTypes.filter((t) => !t.burstable)) {
      expect(it.memoryGiB / it.vcpus).toBe(ratio[it.family.charAt(0) as keyof typeof ratio]);
    }
  });

  it('leaves out the burstables below the RAM floor (#376)', () => {
    expect(findInstanceType('t3.micro')).toBeUndefined();
    expect(findInstanceType('t4g.small')).toBeUndefined();
  });

  it('prices every type (lesson 15, #458)', () => {
    expect(instanceTypes.every((it) => it.onDemandPricePerHour > 0)).toBe(true);
  });
});
