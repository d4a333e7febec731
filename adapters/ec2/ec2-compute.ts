import {
  CreateFleetCommand,
  CreateTagsCommand,
  paginateDescribeInstances,
  TerminateInstancesCommand,
  type CreateFleetCommandInput,
  type CreateFleetCommandOutput,
  type CreateFleetError,
  type EC2Client,
  type Filter,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import * as E from 'fp-ts/lib/Either.js';
import type { ProvisionCommand } from '../../domain/commands/commands.js';
import type { ComputePort, LaunchedMachine, LaunchFailure } from '../../domain/ports/compute.js';
import type { Arch } from '../../domain/shared/codecs.js';
import { classifyErrorCode, errorMessage, isServiceError, worstClass } from './errors.js';
import { buildFleetRequest, TAG_COMMAND_ID, TAG_MACHINE_ID, TAG_MANAGED } from './fleet-request.js';

/**
 * The EC2 compute adapter (SPEC section 3, DESIGN section 3): cold starts with CreateFleet (instant, capacity 1),
 * lookup by the commandId tag, termination of managed instances only.
 *
 * Throttling: the SDK client's own retry strategy (standard mode, `maxAttempts`, exponential backoff with jitter)
 * retries throttled calls; this adapter adds no loop of its own. A call still throttled after that, or a fleet whose
 * `Errors` say RequestLimitExceeded, is returned as `throttled` so the decision to retry stays visible in the stream.
 * Errors that are not AWS service errors (network, timeouts) are thrown: the command bus retries the command, and the
 * executor's lookup plus ClientToken keep the retry from launching twice.
 */
export interface Ec2Logger {
  warn(obj: object, msg: string): void;
}

export interface Ec2ComputeOptions {
  readonly client: EC2Client;
  /** One subnet per availability zone, already collapsed. */
  readonly subnets: ReadonlyArray<string>;
  /** Launch template names per arch (`<base>-arm64`, `<base>-amd64`), used at `$Latest`. */
  readonly launchTemplates: { readonly [A in Arch]: string };
  readonly tags?: Readonly<Record<string, string>>;
  readonly logger?: Ec2Logger;
}

/** States in which an instance still exists for our purposes (found by lookup, or worth terminating). */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];
/** DescribeInstances accepts at most 200 values per filter. */
const FILTER_VALUES_MAX = 200;

const silent: Ec2Logger = { warn: () => undefined };

const describe = async (client: EC2Client, filters: Filter[]): Promise<Instance[]> => {
  const found: Instance[] = [];
  for await (const page of paginateDescribeInstances({ client }, { Filters: filters })) {
    for (const reservation of page.Reservations ?? []) found.push(...(reservation.Instances ?? []));
  }

  return found;
};

const toLaunched = (instance: Instance): LaunchedMachine | null =>
  instance.InstanceId === undefined
    ? null
    : {
        cloudId: instance.InstanceId,
        instanceType: instance.InstanceType ?? null,
        capacity: instance.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
        zone: instance.Placement?.AvailabilityZone ?? null,
        pricePerHour: null,
      };

const chunks = <T>(items: ReadonlyArray<T>, size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));

  return out;
};

/** CreateFleet; an AWS service error becomes a classified failure, anything else (network) is thrown. */
const sendFleet = async (
  client: EC2Client,
  input: CreateFleetCommandInput,
  typesTried: ReadonlyArray<string>,
): Promise<E.Either<LaunchFailure, CreateFleetCommandOutput>> => {
  try {
    return E.right(await client.send(new CreateFleetCommand(input)));
  } catch (e) {
    if (!isServiceError(e)) throw e;
    return E.left({ errorClass: classifyErrorCode(e.name, e.message), message: errorMessage(e), typesTried });
  }
};

/** A fleet that launched nothing: its `Errors` (a failure even though the call succeeded) decide the class. */
const fleetFailure = (errors: ReadonlyArray<CreateFleetError>, typesTried: ReadonlyArray<string>): LaunchFailure =>
  errors.length === 0
    ? { errorClass: 'unknown', message: 'CreateFleet returned no instance and no error', typesTried }
    : {
        errorClass: worstClass(errors.map((err) => classifyErrorCode(err.ErrorCode, err.ErrorMessage))),
        message: errors.map((err) => `${err.ErrorCode ?? '?'}: ${err.ErrorMessage ?? ''}`).join('; '),
        typesTried,
      };

export const createEc2Compute = (options: Ec2ComputeOptions): ComputePort => {
  const { client } = options;
  const logger = options.logger ?? silent;

  const findByCommandId = async (commandId: string): Promise<LaunchedMachine | null> => {
    const instances = await describe(client, [
      { Name: `tag:${TAG_COMMAND_ID}`, Values: [commandId] },
      { Name: `tag:${TAG_MANAGED}`, Values: ['true'] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ]);
    if (instances.length > 1) {
      logger.warn({ commandId, instanceIds: instances.map((i) => i.InstanceId) }, 'several instances for one command');
    }
    const first = instances[0];

    return first === undefined ? null : toLaunched(first);
  };

  /** Spot instances can lose the fleet's tag specifications; untagged instances escape lookup and cleanup. */
  const retag = async (instanceId: string, tags: ReadonlyArray<Tag>, commandId: string): Promise<void> => {
    try {
      await client.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [...tags] }));
    } catch (e) {
      logger.warn({ commandId, instanceId, error: errorMessage(e) }, 're-applying tags failed');
    }
  };

  const zoneOf = (instanceId: string): Promise<string | null> =>
    describe(client, [{ Name: 'instance-id', Values: [instanceId] }]).then(
      (found) => found[0]?.Placement?.AvailabilityZone ?? null,
      (e: unknown) => {
        // Eventual consistency: a just-launched instance may not be described yet.
        logger.warn({ instanceId, error: errorMessage(e) }, 'describing the new instance failed');
        return null;
      },
    );

  const launch = async (command: ProvisionCommand): Promise<E.Either<LaunchFailure, LaunchedMachine>> => {
    if (command.type !== 'LaunchMachine') {
      return E.left({ errorClass: 'invalid', message: `EC2 cannot carry out ${command.type}`, typesTried: [] });
    }
    const built = buildFleetRequest(command, options);
    if (E.isLeft(built)) return E.left({ errorClass: 'invalid', ...built.left });
    const { input, typesTried, tags } = built.right;

    const sent = await sendFleet(client, input, typesTried);
    if (E.isLeft(sent)) return sent;
    const output = sent.right;
    const errors = output.Errors ?? [];
    const fleetInstance = output.Instances?.find((i) => (i.InstanceIds ?? []).length > 0);
    const instanceId = fleetInstance?.InstanceIds?.[0];
    if (fleetInstance === undefined || instanceId === undefined) return E.left(fleetFailure(errors, typesTried));
    if (errors.length > 0) {
      // Capacity 1 was met (other overrides failed on the way): the instance exists, so it is a launch.
      logger.warn({ commandId: command.commandId, instanceId, errors }, 'CreateFleet launched with override errors');
    }

    await retag(instanceId, tags, command.commandId);
    const zone = await zoneOf(instanceId);

    return E.right({
      cloudId: instanceId,
      instanceType: fleetInstance.InstanceType ?? typesTried[0] ?? null,
      capacity: fleetInstance.Lifecycle === 'spot' ? 'spot' : 'on-demand',
      zone,
      pricePerHour: null,
    });
  };

  const terminate = async (machineIds: ReadonlyArray<string>, reason: string): Promise<void> => {
    for (const ids of chunks([...new Set(machineIds)], FILTER_VALUES_MAX)) {
      // Only instances carrying our managed tag: never an instance someone else launched.
      const instances = await describe(client, [
        { Name: `tag:${TAG_MACHINE_ID}`, Values: ids },
        { Name: `tag:${TAG_MANAGED}`, Values: ['true'] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ]);
      const instanceIds = instances.flatMap((i) => (i.InstanceId === undefined ? [] : [i.InstanceId]));
      if (instanceIds.length === 0) continue;
      try {
        await client.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
      } catch (e) {
        // Gone between the lookup and the call: terminating what is already gone succeeds.
        if (isServiceError(e) && e.name === 'InvalidInstanceID.NotFound') continue;
        logger.warn({ machineIds: ids, reason, error: errorMessage(e) }, 'TerminateInstances failed');
        throw e;
      }
    }
  };

  return { findByCommandId, launch, terminate };
};
