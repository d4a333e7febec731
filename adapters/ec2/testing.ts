import {
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2ServiceException,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import type { LaunchMachine } from '../../domain/commands/commands.js';
import type { LaunchRequest } from '../../domain/machine/launch-request.js';
import type { Arch } from '../../domain/shared/codecs.js';
import { commandIdFor } from '../../domain/shared/command-id.js';

/**
 * Test support (used by specs only): the network and launch templates EC2 needs before CreateFleet can launch, made
 * with plain SDK calls so it works on moto and on a real account alike.
 */

/** An image id moto launches without complaint (moto does not check that a template's image exists). */
export const TEST_IMAGE_ID = 'ami-12c6146b';

export interface Ec2Fixture {
  readonly vpcId: string;
  /** One subnet per zone. */
  readonly subnets: ReadonlyArray<{ readonly subnetId: string; readonly zone: string }>;
  readonly launchTemplates: { readonly [A in Arch]: string };
}

const required = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`${what} missing from the EC2 answer`);
  return value;
};

export const createEc2Fixture = async (
  client: EC2Client,
  zones: ReadonlyArray<string> = ['us-east-1a', 'us-east-1b'],
): Promise<Ec2Fixture> => {
  // A random /16 in 10.0.0.0/8 so fixtures of several files do not overlap (moto accepts overlaps, AWS in one VPC not).
  const octet = randomBytes(1)[0] ?? 0;
  const vpc = await client.send(new CreateVpcCommand({ CidrBlock: `10.${octet}.0.0/16` }));
  const vpcId = required(vpc.Vpc?.VpcId, 'VpcId');
  const subnets = await Promise.all(
    zones.map(async (zone, i) => {
      const out = await client.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${octet}.${i}.0/24`, AvailabilityZone: zone }),
      );
      return { subnetId: required(out.Subnet?.SubnetId, 'SubnetId'), zone };
    }),
  );
  const suffix = randomBytes(4).toString('hex');
  const template = async (arch: Arch): Promise<string> => {
    const name = `runs-fleet-runner-${suffix}-${arch}`;
    await client.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: name,
        LaunchTemplateData: {
          ImageId: TEST_IMAGE_ID,
          InstanceType: arch === 'arm64' ? 't4g.medium' : 't3.medium',
          MetadataOptions: { HttpTokens: 'required' },
        },
      }),
    );
    return name;
  };

  return { vpcId, subnets, launchTemplates: { arm64: await template('arm64'), amd64: await template('amd64') } };
};

/** Every instance with the given tag value, in any state, or only the live ones. */
export const instancesTagged = async (
  client: EC2Client,
  key: string,
  value: string,
  live = true,
): Promise<Instance[]> => {
  const out = await client.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${key}`, Values: [value] },
        ...(live ? [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }] : []),
      ],
    }),
  );

  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
};

export const tagsOf = (instance: Instance): Record<string, string> =>
  Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

export const launchRequest = (overrides: Partial<LaunchRequest> = {}): LaunchRequest => ({
  backend: 'ec2',
  capacity: 'spot',
  instanceTypes: ['c7g.large', 'm7g.large'],
  arch: null,
  cpu: { min: 2, max: 4 },
  ramGiB: null,
  diskGiB: 40,
  label: 'runs-fleet=123/cpu=2',
  runnerName: 'runner',
  pool: null,
  repo: 'octo/hello-world',
  jobId: '4242',
  attempt: 1,
  ...overrides,
});

/** A LaunchMachine command with a fresh commandId (= machineId), as the process would derive it. */
export const launchCommand = (overrides: Partial<LaunchRequest> = {}): LaunchMachine => {
  const commandId = commandIdFor({ streamId: `job#${randomBytes(8).toString('hex')}`, version: 1 }, 'launch-runner');

  return {
    type: 'LaunchMachine',
    commandId,
    cause: { streamId: 'job#4242', version: 1 },
    data: { machineId: commandId, request: launchRequest({ runnerName: `runs-fleet-${commandId}`, ...overrides }) },
  };
};

/**
 * Records the input of every command sent through `client` (SDK middleware at `initialize`: the request as the
 * adapter built it, before serialization), by command name, e.g. `RunInstancesCommand`. Each retry of the SDK happens
 * below this step, so one entry is one call by the adapter.
 */
export const recordRequests = (client: EC2Client): Map<string, unknown[]> => {
  const sent = new Map<string, unknown[]>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      sent.set(name, [...(sent.get(name) ?? []), structuredClone(args.input)]);
      return next(args);
    },
    { step: 'initialize', name: 'recordRequests' },
  );

  return sent;
};

/**
 * Makes `client` answer the next `times` calls of `commandName` with an AWS error named `code`, below the SDK's retry
 * middleware (as a real server would), so the SDK's own retry strategy sees and retries it. `calls` counts every
 * attempt that reached the wire (retries included).
 */
export const injectServiceError = (
  client: EC2Client,
  commandName: string,
  code: string,
  times = Number.POSITIVE_INFINITY,
): { calls: number } => {
  const counter = { calls: 0 };
  let left = times;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== commandName) return next(args);
      counter.calls += 1;
      if (left <= 0) return next(args);
      left -= 1;
      throw new EC2ServiceException({
        name: code,
        $fault: 'client',
        $metadata: { httpStatusCode: code === 'RequestLimitExceeded' ? 503 : 400 },
        message: `${code} (injected)`,
      });
    },
    { step: 'finalizeRequest', name: `inject-${code}`, priority: 'low' },
  );

  return counter;
};
