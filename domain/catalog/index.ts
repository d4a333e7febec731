export { Arch, catalogFamilies, findInstanceType, instanceTypes } from './instance-types.js';
export type { InstanceType } from './instance-types.js';
export { DEFAULT_FAMILIES, defaultFamiliesFor } from './default-families.js';
export { compareInstanceTypes, familiesFor, selectInstanceTypes } from './select.js';
export type { SelectionCriteria } from './select.js';
