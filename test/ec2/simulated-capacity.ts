import {
  CreateFleetCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type CreateFleetCommandInput,
  type CreateFleetError,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

/**
 * EC2 running out of spot capacity, which moto cannot do (aws-sdk-client-mock where the emulator cannot produce a
 * fault): a client whose calls go to moto, except that a spot CreateFleet behaves as EC2 does when some of its
 * overrides' types have no spot capacity: those overrides fail (their errors in the answer's `Errors`) and the fleet
 * launches from the others, or launches nothing when none is left. On-demand fleets and every other call reach moto
 * as sent. `fleets` holds every CreateFleet as the adapter sent it.
 */
export interface SimulatedCapacity {
  readonly client: EC2Client;
  readonly fleets: CreateFleetCommandInput[];
  readonly mock: AwsClientStub<EC2Client>;
}

const capacityError = (type: string, subnet: string | undefined): CreateFleetError => ({
  ErrorCode: 'InsufficientInstanceCapacity',
  ErrorMessage: `We currently do not have sufficient ${type} capacity in the Availability Zone you requested.`,
  LaunchTemplateAndOverrides: { Overrides: { InstanceType: type as never, SubnetId: subnet } },
  Lifecycle: 'spot',
});

export const withoutSpotCapacity = (moto: EC2Client, noSpot: ReadonlySet<string>): SimulatedCapacity => {
  const client = new EC2Client({ region: 'us-east-1' });
  const mock = mockClient(client);
  const fleets: CreateFleetCommandInput[] = [];
  mock.on(CreateFleetCommand).callsFake(async (input: CreateFleetCommandInput) => {
    fleets.push(structuredClone(input));
    if (input.TargetCapacitySpecification?.DefaultTargetCapacityType !== 'spot')
      return moto.send(new CreateFleetCommand(input));
    const config = input.LaunchTemplateConfigs?.[0];
    const overrides = config?.Overrides ?? [];
    const refused = overrides.filter((o) => noSpot.has(o.InstanceType ?? ''));
    const left = overrides.filter((o) => !noSpot.has(o.InstanceType ?? ''));
    const errors = refused.map((o) => capacityError(o.InstanceType ?? '', o.SubnetId));
    if (left.length === 0) return { FleetId: 'fleet-no-capacity', Instances: [], Errors: errors };
    const out = await moto.send(
      new CreateFleetCommand({ ...input, LaunchTemplateConfigs: [{ ...config, Overrides: left }] }),
    );

    return { ...out, Errors: [...errors, ...(out.Errors ?? [])] };
  });
  mock.on(DescribeInstancesCommand).callsFake((input) => moto.send(new DescribeInstancesCommand(input)));
  mock.on(CreateTagsCommand).callsFake((input) => moto.send(new CreateTagsCommand(input)));
  mock.on(RunInstancesCommand).callsFake((input) => moto.send(new RunInstancesCommand(input)));
  mock.on(TerminateInstancesCommand).callsFake((input) => moto.send(new TerminateInstancesCommand(input)));
  mock.on(StartInstancesCommand).callsFake((input) => moto.send(new StartInstancesCommand(input)));
  mock.on(StopInstancesCommand).callsFake((input) => moto.send(new StopInstancesCommand(input)));
  mock.on(DescribeSpotPriceHistoryCommand).callsFake((input) => moto.send(new DescribeSpotPriceHistoryCommand(input)));

  return { client, fleets, mock };
};
