import * as t from 'io-ts';

/** CPU architecture as the orchestrator names it (EC2's own name for amd64 is x86_64). */
export const Arch = t.keyof({ arm64: null, amd64: null });
export type Arch = t.TypeOf<typeof Arch>;

export interface InstanceType {
  readonly name: string;
  readonly family: string;
  readonly size: string;
  readonly arch: Arch;
  readonly vcpus: number;
  readonly memoryGiB: number;
  readonly generation: number;
  readonly burstable: boolean;
  /** A fallback estimate (SPEC section 12), used only when the Pricing API has nothing better. */
  readonly onDemandPricePerHour: number;
}

// Prices are sums of float products; rounding keeps the catalog readable and comparisons exact.
const roundPrice = (price: number): number => Math.round(price * 1e6) / 1e6;

const vcpusOf = (size: string): number => {
  if (size === 'medium') return 1;
  if (size === 'large') return 2;
  if (size === 'xlarge') return 4;

  return 4 * Number(size.slice(0, -'xlarge'.length));
};

const GIB_PER_VCPU = { c: 2, m: 4, r: 8 } as const;

const GEN7_GRAVITON = ['medium', 'large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];
const GEN8_GRAVITON = [...GEN7_GRAVITON, '24xlarge', '48xlarge'];
const GEN6_INTEL = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge'];
// AWS sells no c7i/m7i/r7i.32xlarge: the Intel gen-7 line jumps from 24xlarge to 48xlarge.
const GEN7_INTEL = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge'];

interface FixedFamily {
  readonly family: string;
  readonly arch: Arch;
  readonly generation: number;
  readonly sizes: ReadonlyArray<string>;
  /** SPEC section 12 fallback rate, USD per vCPU-hour. */
  readonly ratePerVcpuHour: number;
}

const FIXED_FAMILIES: ReadonlyArray<FixedFamily> = [
  { family: 'c7g', arch: 'arm64', generation: 7, sizes: GEN7_GRAVITON, ratePerVcpuHour: 0.0428 },
  { family: 'm7g', arch: 'arm64', generation: 7, sizes: GEN7_GRAVITON, ratePerVcpuHour: 0.049 },
  { family: 'r7g', arch: 'arm64', generation: 7, sizes: GEN7_GRAVITON, ratePerVcpuHour: 0.0803 },
  { family: 'c8g', arch: 'arm64', generation: 8, sizes: GEN8_GRAVITON, ratePerVcpuHour: 0.0525 },
  { family: 'm8g', arch: 'arm64', generation: 8, sizes: GEN8_GRAVITON, ratePerVcpuHour: 0.054 },
  { family: 'r8g', arch: 'arm64', generation: 8, sizes: GEN8_GRAVITON, ratePerVcpuHour: 0.0613 },
  { family: 'c6i', arch: 'amd64', generation: 6, sizes: GEN6_INTEL, ratePerVcpuHour: 0.0535 },
  { family: 'm6i', arch: 'amd64', generation: 6, sizes: GEN6_INTEL, ratePerVcpuHour: 0.061 },
  { family: 'r6i', arch: 'amd64', generation: 6, sizes: GEN6_INTEL, ratePerVcpuHour: 0.08 },
  { family: 'c7i', arch: 'amd64', generation: 7, sizes: GEN7_INTEL, ratePerVcpuHour: 0.0536 },
  { family: 'm7i', arch: 'amd64', generation: 7, sizes: GEN7_INTEL, ratePerVcpuHour: 0.063 },
  { family: 'r7i', arch: 'amd64', generation: 7, sizes: GEN7_INTEL, ratePerVcpuHour: 0.084 },
];

const fixedTypes = (f: FixedFamily): ReadonlyArray<InstanceType> =>
  f.sizes.map((size) => {
    const vcpus = vcpusOf(size);
    const ratio = GIB_PER_VCPU[f.family.charAt(0) as keyof typeof GIB_PER_VCPU];

    return {
      name: `${f.family}.${size}`,
      family: f.family,
      size,
      arch: f.arch,
      vcpus,
      memoryGiB: vcpus * ratio,
      generation: f.generation,
      burstable: false,
      onDemandPricePerHour: roundPrice(f.ratePerVcpuHour * vcpus),
    };
  });

// Burstables do not follow the vCPU ratios (medium and large both have 2 vCPUs), so they are listed. micro and small
// are left out on purpose (#376: below the RAM floor). Each size doubles the price of the one before, as AWS does.
const BURSTABLE_SIZES: ReadonlyArray<readonly [string, number, number]> = [
  ['medium', 2, 4],
  ['large', 2, 8],
  ['xlarge', 4, 16],
  ['2xlarge', 8, 32],
];

const burstableTypes = (
  family: string,
  arch: Arch,
  generation: number,
  mediumPrice: number,
): ReadonlyArray<InstanceType> =>
  BURSTABLE_SIZES.map(([size, vcpus, memoryGiB], i) => ({
    name: `${family}.${size}`,
    family,
    size,
    arch,
    vcpus,
    memoryGiB,
    generation,
    burstable: true,
    onDemandPricePerHour: roundPrice(mediumPrice * 2 ** i),
  }));

/** The EC2 types runs-fleet may launch (SPEC section 3), in no particular order; `selectInstanceTypes` orders them. */
export const instanceTypes: ReadonlyArray<InstanceType> = [
  ...burstableTypes('t4g', 'arm64', 4, 0.0336),
  ...burstableTypes('t3', 'amd64', 3, 0.0544),
  ...FIXED_FAMILIES.flatMap(fixedTypes),
];

const byName: ReadonlyMap<string, InstanceType> = new Map(instanceTypes.map((it) => [it.name, it]));

export const findInstanceType = (name: string): InstanceType | undefined => byName.get(name);

/** Every family in the catalog, lowercase. */
export const catalogFamilies: ReadonlyArray<string> = [...new Set(instanceTypes.map((it) => it.family))];
