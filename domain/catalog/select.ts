import { defaultFamiliesFor } from './default-families.js';
import type { Arch, InstanceType } from './instance-types.js';
import { instanceTypes } from './instance-types.js';

export interface SelectionCriteria {
  readonly arch: Arch | null;
  readonly gen: number | null;
  readonly cpu: { readonly min: number; readonly max: number };
  /** null = any amount of memory; max null = no upper bound. */
  readonly ram: { readonly min: number; readonly max: number | null } | null;
  /** Requested families (any case); empty = the default families for `arch`. */
  readonly families: ReadonlyArray<string>;
}

const PREFERENCE = defaultFamiliesFor(null);

const familyRank = (family: string): number => {
  const i = PREFERENCE.indexOf(family);

  return i === -1 ? PREFERENCE.length : i;
};

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The one total order of a selection: smallest first (vCPUs, then GiB) because small types are the most available
 * spot capacity and the first one is the on-demand fallback; then default-family preference, then names, so equal
 * inputs always give the same list and the frozen `MachineRequested` never differs between replays.
 */
export const compareInstanceTypes = (a: InstanceType, b: InstanceType): number =>
  a.vcpus - b.vcpus ||
  a.memoryGiB - b.memoryGiB ||
  familyRank(a.family) - familyRank(b.family) ||
  compareStrings(a.family, b.family) ||
  compareStrings(a.name, b.name);

const inRam = (ram: SelectionCriteria['ram'], gib: number): boolean =>
  ram === null || (gib >= ram.min && (ram.max === null || gib <= ram.max));

const matches =
  (c: SelectionCriteria, families: ReadonlySet<string>) =>
  (it: InstanceType): boolean =>
    (c.arch === null || it.arch === c.arch) &&
    (c.gen === null || it.generation === c.gen) &&
    it.vcpus >= c.cpu.min &&
    it.vcpus <= c.cpu.max &&
    inRam(c.ram, it.memoryGiB) &&
    families.has(it.family);

export const familiesFor = (c: Pick<SelectionCriteria, 'arch' | 'families'>): ReadonlyArray<string> =>
  c.families.length === 0 ? defaultFamiliesFor(c.arch) : c.families.map((f) => f.toLowerCase());

export const selectInstanceTypes = (
  criteria: SelectionCriteria,
  catalog: ReadonlyArray<InstanceType> = instanceTypes,
): ReadonlyArray<InstanceType> =>
  catalog.filter(matches(criteria, new Set(familiesFor(criteria)))).sort(compareInstanceTypes);
