import type { CreateFleetCommandInput, FleetLaunchTemplateOverridesRequest, Tag } from '@aws-sdk/client-ec2';
import * as E from 'fp-ts/lib/Either.js';
import type { LaunchMachine } from '../../domain/commands/commands.js';
import { findInstanceType } from '../../domain/catalog/index.js';
import type { Arch } from '../../domain/shared/codecs.js';

/**
 * The CreateFleet request for one LaunchMachine command (SPEC section 3), a pure function of the request frozen in
 * `MachineRequested`, so a retry after a crash sends exactly the same request (AWS answers
 * IdempotentParameterMismatch to the same ClientToken with a different request).
 */

export const TAG_MANAGED = 'runs-fleet:managed';
export const TAG_COMMAND_ID = 'runs-fleet:command-id';
export const TAG_MACHINE_ID = 'runs-fleet:machine-id';
export const TAG_JOB_ID = 'runs-fleet:job-id';
export const TAG_POOL = 'runs-fleet:pool';
export const TAG_ARCH = 'runs-fleet:arch';
export const TAG_LABEL = 'runs-fleet:label';
export const TAG_RUNNER_NAME = 'runs-fleet:runner-name';
export const TAG_REPO = 'runs-fleet:repo';

/** EC2 caps the total number of overrides of one fleet request. */
export const MAX_FLEET_OVERRIDES = 60;
/** EC2 tag limits: 128 characters per key, 256 per value. */
export const MAX_TAG_KEY = 128;
export const MAX_TAG_VALUE = 256;
const MAX_NAME = 64;
export const ROOT_DEVICE = '/dev/xvda';

export interface FleetRequestConfig {
  /** One subnet per availability zone, already collapsed. */
  readonly subnets: ReadonlyArray<string>;
  /** Launch template names per arch; used at `$Latest`. */
  readonly launchTemplates: { readonly [A in Arch]: string };
  /** Extra tags (RUNS_FLEET_TAGS); ours win on a clash. */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface FleetRequest {
  readonly input: CreateFleetCommandInput;
  readonly arch: Arch;
  /** The distinct instance types in the overrides, in preference order. */
  readonly typesTried: ReadonlyArray<string>;
  readonly tags: ReadonlyArray<Tag>;
}

export interface FleetRequestError {
  readonly message: string;
  readonly typesTried: ReadonlyArray<string>;
}

const archOf = (type: string): Arch | null => findInstanceType(type)?.arch ?? null;

/**
 * The arch of a request whose label named none, when nobody priced it: arm64 unless every type the catalog knows is
 * amd64. The adapter prices the two arches first (spot-price-arch.ts) and passes its choice to `buildFleetRequest`.
 */
export const chooseArch = (types: ReadonlyArray<string>): Arch => {
  const known = types.map(archOf).filter((a): a is Arch => a !== null);

  return known.length > 0 && known.every((a) => a === 'amd64') ? 'amd64' : 'arm64';
};

/** Per-subnet type count: min(types, 60 / subnets), at least 1, so types are trimmed and zones never dropped. */
export const typesPerSubnet = (types: number, subnets: number): number =>
  Math.max(1, Math.min(types, Math.floor(MAX_FLEET_OVERRIDES / Math.max(1, subnets))));

const truncate = (value: string, max: number): string => (value.length > max ? value.slice(0, max) : value);

const nameTag = (request: LaunchMachine['data']['request']): string => {
  const repoName = request.repo?.split('/').pop() ?? null;
  const suffix = request.pool ?? repoName;

  return truncate(suffix === null || suffix === '' ? 'runs-fleet-runner' : `runs-fleet-runner-${suffix}`, MAX_NAME);
};

export const instanceTags = (command: LaunchMachine, arch: Arch, extra: Readonly<Record<string, string>>): Tag[] => {
  const { request } = command.data;
  const ours: Array<[string, string | null]> = [
    ['Name', nameTag(request)],
    [TAG_MANAGED, 'true'],
    [TAG_COMMAND_ID, command.commandId],
    [TAG_MACHINE_ID, command.data.machineId],
    [TAG_JOB_ID, request.jobId],
    [TAG_POOL, request.pool],
    [TAG_ARCH, arch],
    [TAG_LABEL, request.label],
    [TAG_RUNNER_NAME, request.runnerName],
    [TAG_REPO, request.repo],
  ];
  const merged = new Map<string, string>(Object.entries(extra));
  for (const [key, value] of ours) {
    if (value !== null) merged.set(key, value);
  }

  return [...merged].map(([Key, Value]) => ({
    Key: truncate(Key, MAX_TAG_KEY),
    Value: truncate(Value, MAX_TAG_VALUE),
  }));
};

/** The root volume override (SPEC: `disk>0` → gp3, encrypted, deleted with the instance), or nothing. */
export const diskOverride = (diskGiB: number | null) =>
  diskGiB !== null && diskGiB > 0
    ? {
        BlockDeviceMappings: [
          {
            DeviceName: ROOT_DEVICE,
            Ebs: { VolumeSize: diskGiB, VolumeType: 'gp3' as const, Encrypted: true, DeleteOnTermination: true },
          },
        ],
      }
    : {};

export interface ArchTypes {
  readonly arch: Arch;
  /** The requested types of that arch (or unknown to the catalog), in preference order. */
  readonly types: ReadonlyArray<string>;
}

/**
 * The arch a request launches with and its types: the label's arch (every known type must match it), else `chosen`
 * (the adapter's price comparison), else `chooseArch`. One launch template per request, so only that arch's types.
 */
export const resolveArchTypes = (
  request: LaunchMachine['data']['request'],
  chosen?: Arch,
): E.Either<FleetRequestError, ArchTypes> => {
  const requested = [...new Set(request.instanceTypes)];
  if (requested.length === 0) return E.left({ message: 'the request names no instance type', typesTried: [] });
  const arch = request.arch ?? chosen ?? chooseArch(requested);
  if (request.arch !== null) {
    const mismatched = requested.filter((type) => {
      const known = archOf(type);
      return known !== null && known !== arch;
    });
    if (mismatched.length > 0) {
      return E.left({ message: `types ${mismatched.join(', ')} are not ${arch}`, typesTried: requested });
    }
  }
  const types = requested.filter((type) => {
    const known = archOf(type);
    return known === null || known === arch;
  });

  return E.right({ arch, types });
};

export const buildFleetRequest = (
  command: LaunchMachine,
  config: FleetRequestConfig,
  chosenArch?: Arch,
): E.Either<FleetRequestError, FleetRequest> => {
  const { request } = command.data;
  const resolved = resolveArchTypes(request, chosenArch);
  if (E.isLeft(resolved)) return resolved;
  const { arch, types: ofArch } = resolved.right;
  if (config.subnets.length === 0) return E.left({ message: 'no subnet configured', typesTried: ofArch });
  const onDemand = request.capacity === 'on-demand';
  const types = onDemand ? ofArch.slice(0, 1) : ofArch.slice(0, typesPerSubnet(ofArch.length, config.subnets.length));

  const disk = diskOverride(request.diskGiB);
  const overrides: FleetLaunchTemplateOverridesRequest[] = types.flatMap((type) =>
    config.subnets.map((subnet) => ({
      InstanceType: type as FleetLaunchTemplateOverridesRequest['InstanceType'],
      SubnetId: subnet,
      ...disk,
    })),
  );
  const tags = instanceTags(command, arch, config.tags ?? {});

  return E.right({
    arch,
    typesTried: types,
    tags,
    input: {
      ClientToken: command.commandId,
      Type: 'instant',
      TargetCapacitySpecification: {
        TotalTargetCapacity: 1,
        DefaultTargetCapacityType: onDemand ? 'on-demand' : 'spot',
      },
      ...(onDemand ? {} : { SpotOptions: { AllocationStrategy: 'price-capacity-optimized' } }),
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: { LaunchTemplateName: config.launchTemplates[arch], Version: '$Latest' },
          Overrides: overrides,
        },
      ],
      TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
    },
  });
};
