export { createEc2Compute } from './ec2-compute.js';
export type { Ec2ComputeOptions, Ec2Logger } from './ec2-compute.js';
export {
  buildFleetRequest,
  chooseArch,
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
export { classifyErrorCode, worstClass } from './errors.js';
