export { createEc2Compute, Ec2OperationError } from './ec2-compute.js';
export type { Ec2ComputeOptions, Ec2Logger } from './ec2-compute.js';
export {
  buildFleetRequest,
  chooseArch,
  diskOverride,
  resolveArchTypes,
  instanceTags,
  typesPerSubnet,
  MAX_FLEET_OVERRIDES,
  MAX_TAG_VALUE,
  TAG_ARCH,
  TAG_COMMAND_ID,
  TAG_JOB_ID,
  TAG_LABEL,
  TAG_MACHINE_ID,
  TAG_MANAGED,
  TAG_POOL,
  TAG_REPO,
  TAG_RUNNER_NAME,
} from './fleet-request.js';
export type { FleetRequest, FleetRequestConfig, FleetRequestError } from './fleet-request.js';
export { classifyEc2Error, classifyErrorCode, worstClass } from './errors.js';
export type { Ec2ErrorClass } from './errors.js';
export { buildPoolLaunchRequest, clientTokenFor, isPoolMemberLaunch } from './pool-request.js';
export type { PoolLaunchRequest } from './pool-request.js';
export {
  averagePrice,
  cheaperArch,
  createSpotPriceArchChooser,
  PRICED_TYPES_PER_ARCH,
  SPOT_PRICE_TTL_MS,
  typesByArch,
} from './spot-price-arch.js';
export type { ArchChooser, ArchChooserOptions } from './spot-price-arch.js';
export { createInstanceMachines } from './instance-machines.js';
export type { InstanceMachines, InstanceMachinesOptions } from './instance-machines.js';
export { collapseSubnetsPerZone } from './subnets.js';
