import {
  CreateFleetCommand,
  CreateTagsCommand,
  paginateDescribeInstances,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type CreateFleetCommandInput,
  type CreateFleetCommandOutput,
  type CreateFleetError,
  type EC2Client,
  type Filter,
  type Instance,
  type RunInstancesCommandInput,
  type Tag,
} from '@aws-sdk/client-ec2';
import * as E from 'fp-ts/lib/Either.js';
import type { LaunchMachine, ProvisionCommand } from '../../domain/commands/commands.js';
import type { ComputePort, LaunchedMachine, LaunchFailure } from '../../domain/ports/compute.js';
import type { Arch } from '../../domain/shared/codecs.js';
import { classifyEc2Error, classifyErrorCode, errorMessage, isServiceError, worstClass } from './errors.js';
import { buildFleetRequest, TAG_COMMAND_ID, TAG_MACHINE_ID, TAG_MANAGED } from './fleet-request.js';
import { listManagedInstances } from './list-managed.js';
import { buildPoolLaunchRequest, isPoolMemberLaunch } from './pool-request.js';
import { typesByArch, type ArchChooser } from './spot-price-arch.js';

/**
 * The EC2 compute adapter (SPEC section 3, DESIGN section 3): cold starts with CreateFleet (instant, capacity 1), pool
 * members with RunInstances (on-demand, one subnet per zone in turn), lookup by the commandId tag, and start, stop and
 * terminate of instances carrying our managed tag only.
 *
 * Errors: capacity, throttling, unauthorized and invalid (a missing template or subnet included) become a classified
 * `LaunchFailure`, which the process turns into its next decision (capacity: on-demand; unauthorized or invalid: the
 * job fails visibly, no retry). Throttling: the SDK client's own retry strategy (standard mode, `maxAttempts`,
 * exponential backoff with jitter) retries throttled calls; this adapter adds no loop of its own. A call still
 * throttled after that, or a fleet whose `Errors` say RequestLimitExceeded, is returned as `throttled` so the decision
 * to retry stays visible in the stream. Errors that are not AWS service errors (network, timeouts) are thrown: the
 * command bus retries the command, and the executor's lookup plus ClientToken keep the retry from launching twice.
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
  /**
   * Picks the arch of a spot request whose label named none and whose types span both arches (spot-price-arch.ts).
   * Without one, arm64 unless every type is amd64.
   */
  readonly chooseArch?: ArchChooser;
}

/**
 * A start, stop or terminate EC2 refused, with the class of the refusal: `in-transition` (retry soon), `capacity` (a
 * stopped member that cannot start now), `unauthorized`, `invalid`, `throttled` (after the SDK's retries), `unknown`.
 */
export class Ec2OperationError extends Error {
  constructor(
    readonly operation: 'start' | 'stop' | 'terminate',
    readonly errorClass: string,
    message: string,
  ) {
    super(`${operation}: ${errorClass}: ${message}`);
    this.name = 'Ec2OperationError';
  }
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

const isGone = (e: unknown): boolean => isServiceError(e) && classifyEc2Error(e.name, e.message) === 'not-found';

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

/**
 * One line for a fleet's errors, read in a job's timeline: per error code, the types and subnets it refused
 * (`InsufficientInstanceCapacity: c7g.large in subnet-a, subnet-b; m7g.large in subnet-a`), or EC2's distinct
 * messages when the error names no override.
 */
export const describeFleetErrors = (errors: ReadonlyArray<CreateFleetError>): string => {
  // code → (type, or EC2's message when the error names no override) → subnets
  const byCode = new Map<string, Map<string, Set<string>>>();
  for (const err of errors) {
    const where = byCode.get(err.ErrorCode ?? '?') ?? new Map<string, Set<string>>();
    byCode.set(err.ErrorCode ?? '?', where);
    const override = err.LaunchTemplateAndOverrides?.Overrides;
    const what = override?.InstanceType ?? err.ErrorMessage ?? '';
    const subnets = where.get(what) ?? new Set<string>();
    if (override?.InstanceType !== undefined) subnets.add(override.SubnetId ?? '?');
    where.set(what, subnets);
  }
  const part = ([what, subnets]: [string, Set<string>]) =>
    subnets.size === 0 ? what : `${what} in ${[...subnets].join(', ')}`;

  return [...byCode].map(([code, where]) => `${code}: ${[...where].map(part).join('; ')}`).join('; ');
};

/** A fleet that launched nothing: its `Errors` (a failure even though the call succeeded) decide the class. */
const fleetFailure = (errors: ReadonlyArray<CreateFleetError>, typesTried: ReadonlyArray<string>): LaunchFailure =>
  errors.length === 0
    ? { errorClass: 'unknown', message: 'CreateFleet returned no instance and no error', typesTried }
    : {
        errorClass: worstClass(errors.map((err) => classifyErrorCode(err.ErrorCode, err.ErrorMessage))),
        message: describeFleetErrors(errors),
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

  /** Only a spot request with no arch whose types span both arches needs prices. */
  const archFor = async (command: LaunchMachine): Promise<Arch | undefined> => {
    const { request } = command.data;
    if (request.arch !== null || options.chooseArch === undefined) return undefined;
    const grouped = typesByArch(request.instanceTypes);
    if (grouped.arm64.length === 0 || grouped.amd64.length === 0) return undefined;

    return options.chooseArch(request.instanceTypes);
  };

  const launchFleet = async (command: LaunchMachine): Promise<E.Either<LaunchFailure, LaunchedMachine>> => {
    const built = buildFleetRequest(command, options, await archFor(command));
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

  /** RunInstances in one zone after the other while the answer is a capacity error; any other error ends the walk. */
  const launchPoolMember = async (command: LaunchMachine): Promise<E.Either<LaunchFailure, LaunchedMachine>> => {
    const built = buildPoolLaunchRequest(command, options);
    if (E.isLeft(built)) return E.left({ errorClass: 'invalid', ...built.left });
    const { instanceType, attempts } = built.right;
    const typesTried = [instanceType];
    const refusals: string[] = [];
    for (const input of attempts) {
      const sent = await send(input);
      if (E.isRight(sent)) return sent;
      refusals.push(`${input.SubnetId ?? '?'}: ${sent.left.message}`);
      if (sent.left.errorClass !== 'capacity') return E.left({ ...sent.left, typesTried });
    }

    return E.left({ errorClass: 'capacity', message: refusals.join('; '), typesTried });

    async function send(input: RunInstancesCommandInput): Promise<E.Either<LaunchFailure, LaunchedMachine>> {
      try {
        const out = await client.send(new RunInstancesCommand(input));
        const launched = out.Instances?.[0];
        const found = launched === undefined ? null : toLaunched(launched);
        if (found === null) {
          return E.left({ errorClass: 'unknown', message: 'RunInstances returned no instance', typesTried });
        }
        return E.right({ ...found, capacity: 'on-demand', instanceType: found.instanceType ?? instanceType });
      } catch (e) {
        if (!isServiceError(e)) throw e;
        return E.left({ errorClass: classifyErrorCode(e.name, e.message), message: errorMessage(e), typesTried });
      }
    }
  };

  const launch = async (command: ProvisionCommand): Promise<E.Either<LaunchFailure, LaunchedMachine>> => {
    if (command.type !== 'LaunchMachine') {
      return E.left({ errorClass: 'invalid', message: `EC2 cannot carry out ${command.type}`, typesTried: [] });
    }

    return isPoolMemberLaunch(command) ? launchPoolMember(command) : launchFleet(command);
  };

  /** Our instances (managed tag) of these machines, in the given states. */
  const managedInstances = async (machineIds: ReadonlyArray<string>, states: ReadonlyArray<string>) => {
    const found: Instance[] = [];
    for (const ids of chunks([...new Set(machineIds)], FILTER_VALUES_MAX)) {
      // Only instances carrying our managed tag: never an instance someone else launched.
      found.push(
        ...(await describe(client, [
          { Name: `tag:${TAG_MACHINE_ID}`, Values: ids },
          { Name: `tag:${TAG_MANAGED}`, Values: ['true'] },
          { Name: 'instance-state-name', Values: [...states] },
        ])),
      );
    }

    return found;
  };

  /**
   * One call for many instances; an instance gone between the lookup and the call (NotFound) fails the whole call, so
   * then each is tried alone and the gone ones are done. Other service errors are classified and thrown.
   */
  const actOn = async (
    operation: 'start' | 'stop' | 'terminate',
    instanceIds: ReadonlyArray<string>,
    call: (ids: string[]) => Promise<unknown>,
  ): Promise<void> => {
    for (const ids of chunks(instanceIds, FILTER_VALUES_MAX)) {
      try {
        await call(ids);
      } catch (e) {
        if (!isGone(e)) throw classified(operation, e);
        for (const id of ids) {
          await call([id]).catch((single: unknown) => {
            if (!isGone(single)) throw classified(operation, single);
          });
        }
      }
    }
  };

  const classified = (operation: 'start' | 'stop' | 'terminate', e: unknown): unknown => {
    if (!isServiceError(e)) return e;
    logger.warn({ operation, error: errorMessage(e) }, `${operation} failed`);

    return new Ec2OperationError(operation, classifyEc2Error(e.name, e.message), errorMessage(e));
  };

  const idsOf = (instances: ReadonlyArray<Instance>): string[] =>
    instances.flatMap((i) => (i.InstanceId === undefined ? [] : [i.InstanceId]));

  const terminate = async (machineIds: ReadonlyArray<string>): Promise<void> => {
    const instanceIds = idsOf(await managedInstances(machineIds, LIVE_STATES));
    if (instanceIds.length === 0) return;
    await actOn('terminate', instanceIds, (ids) => client.send(new TerminateInstancesCommand({ InstanceIds: ids })));
  };

  /**
   * Starting a running (or pending) member and stopping a stopped (or stopping) one are no-ops; a member in the
   * opposite transition (stopping while asked to start, pending while asked to stop) cannot take the call yet, so the
   * others are acted on and then an error asks the caller to retry.
   */
  const transition = async (
    operation: 'start' | 'stop',
    machineIds: ReadonlyArray<string>,
    ready: string,
    inTransition: string,
  ): Promise<void> => {
    const instances = await managedInstances(machineIds, [ready, inTransition]);
    const now = idsOf(instances.filter((i) => i.State?.Name === ready));
    const later = idsOf(instances.filter((i) => i.State?.Name === inTransition));
    await actOn(operation, now, (ids) =>
      client.send(
        operation === 'start'
          ? new StartInstancesCommand({ InstanceIds: ids })
          : new StopInstancesCommand({ InstanceIds: ids }),
      ),
    );
    if (later.length > 0) {
      throw new Ec2OperationError(operation, 'in-transition', `${later.join(', ')} still ${inTransition}; retry`);
    }
  };

  const start = (machineIds: ReadonlyArray<string>) => transition('start', machineIds, 'stopped', 'stopping');
  const stop = (machineIds: ReadonlyArray<string>) => transition('stop', machineIds, 'running', 'pending');

  const listManaged = () => listManagedInstances(client, options.tags);

  return { findByCommandId, launch, terminate, start, stop, listManaged };
};
