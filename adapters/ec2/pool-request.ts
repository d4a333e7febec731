import type { RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import * as E from 'fp-ts/lib/Either.js';
import type { LaunchMachine } from '../../domain/commands/commands.js';
import type { Arch } from '../../domain/shared/codecs.js';
import {
  diskOverride,
  instanceTags,
  resolveArchTypes,
  type FleetRequestConfig,
  type FleetRequestError,
} from './fleet-request.js';

/**
 * Warm-pool members (SPEC section 3): `RunInstances`, never spot (a member is stopped and started again, which spot
 * instances launched by a fleet cannot be), Min = Max = 1, the launch template of the arch at `$Latest`, the primary
 * type, one subnet per zone tried in turn on capacity errors. Pure, like the fleet request: a retry after a crash sends
 * the same requests.
 */
export const isPoolMemberLaunch = (command: LaunchMachine): boolean =>
  command.data.request.pool !== null && command.data.request.jobId === null;

export interface PoolLaunchRequest {
  readonly arch: Arch;
  readonly instanceType: string;
  readonly tags: ReadonlyArray<Tag>;
  /** One request per subnet, in the order they are tried. */
  readonly attempts: ReadonlyArray<RunInstancesCommandInput>;
}

/**
 * ClientToken per subnet: the commandId for the first subnet (DESIGN section 3), and the commandId with the subnet's
 * index after it for the others, so a retry of the whole walk is idempotent subnet by subnet while AWS never sees one
 * token with two different requests (it answers IdempotentParameterMismatch to that). 32 + 3 characters, within 64.
 */
export const clientTokenFor = (commandId: string, subnetIndex: number): string =>
  subnetIndex === 0 ? commandId : `${commandId}-${subnetIndex}`;

export const buildPoolLaunchRequest = (
  command: LaunchMachine,
  config: FleetRequestConfig,
  chosenArch?: Arch,
): E.Either<FleetRequestError, PoolLaunchRequest> => {
  const { request } = command.data;
  const resolved = resolveArchTypes(request, chosenArch);
  if (E.isLeft(resolved)) return resolved;
  const { arch, types } = resolved.right;
  const instanceType = types[0];
  if (instanceType === undefined) return E.left({ message: `no ${arch} instance type requested`, typesTried: [] });
  if (config.subnets.length === 0) return E.left({ message: 'no subnet configured', typesTried: [instanceType] });
  const tags = instanceTags(command, arch, config.tags ?? {});

  return E.right({
    arch,
    instanceType,
    tags,
    attempts: config.subnets.map((subnet, i) => ({
      ClientToken: clientTokenFor(command.commandId, i),
      MinCount: 1,
      MaxCount: 1,
      LaunchTemplate: { LaunchTemplateName: config.launchTemplates[arch], Version: '$Latest' },
      InstanceType: instanceType as RunInstancesCommandInput['InstanceType'],
      SubnetId: subnet,
      ...diskOverride(request.diskGiB),
      TagSpecifications: [{ ResourceType: 'instance', Tags: [...tags] }],
    })),
  });
};
