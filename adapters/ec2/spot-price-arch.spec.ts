import {
  CreateFleetCommand,
  DescribeSpotPriceHistoryCommand,
  EC2Client,
  type CreateFleetCommandInput,
  type DescribeSpotPriceHistoryCommandInput,
  type SpotPrice,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoClients } from '../../test/harness/moto-client.js';
import { averagePrice, cheaperArch, createEc2Compute, createSpotPriceArchChooser, TAG_COMMAND_ID } from './index.js';
import {
  createEc2Fixture,
  instancesTagged,
  launchCommand,
  recordRequests,
  tagsOf,
  type Ec2Fixture,
} from './testing.js';

const ARM = ['c7g.large', 'm7g.large'];
const X86 = ['c6i.large', 'm6i.large'];

const price = (InstanceType: string, SpotPrice: string, AvailabilityZone = 'us-east-1a'): SpotPrice => ({
  InstanceType: InstanceType as SpotPrice['InstanceType'],
  SpotPrice,
  AvailabilityZone,
  ProductDescription: 'Linux/UNIX',
});

/** A client answering DescribeSpotPriceHistory with `prices` (moto prices every type the same). */
const pricedClient = (prices: SpotPrice[] | Error) => {
  const client = new EC2Client({ region: 'us-east-1' });
  const mock = mockClient(client);
  if (prices instanceof Error) mock.on(DescribeSpotPriceHistoryCommand).rejects(prices);
  else mock.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: prices });
  return { client, mock };
};

describe('[moto] arch choice by spot price (prices from aws-sdk-client-mock: moto prices every type alike)', () => {
  it('averages each type over its zones, then the types of an arch; arm64 unless amd64 is strictly cheaper', () => {
    const prices = [price('c7g.large', '0.04'), price('c7g.large', '0.06', 'us-east-1b'), price('m7g.large', '0.07')];
    expect(averagePrice(prices, ARM)).toBeCloseTo(0.06);
    expect(averagePrice(prices, X86)).toBeNull();
    expect(cheaperArch(0.06, 0.05)).toBe('amd64');
    expect(cheaperArch(0.05, 0.05)).toBe('arm64');
    expect(cheaperArch(0.06, null)).toBe('arm64');
    expect(cheaperArch(null, 0.01)).toBe('arm64');
  });

  it('asks EC2 once per TTL on the injected clock, and picks the cheaper arch', async () => {
    const { client, mock } = pricedClient([price('c7g.large', '0.05'), price('c6i.large', '0.03')]);
    let now = Date.parse('2026-01-01T00:00:00Z');
    const choose = createSpotPriceArchChooser({ client, now: () => now, ttlMs: 300_000 });

    expect(await choose([...ARM, ...X86])).toBe('amd64');
    now += 299_000;
    expect(await choose([...ARM, ...X86])).toBe('amd64');
    expect(mock.commandCalls(DescribeSpotPriceHistoryCommand)).toHaveLength(1);
    now += 2_000;
    mock.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [price('c7g.large', '0.02')] });
    // amd64 has no price now: arm64 (SPEC: no prices → arm64).
    expect(await choose([...ARM, ...X86])).toBe('arm64');
    expect(mock.commandCalls(DescribeSpotPriceHistoryCommand)).toHaveLength(2);
    expect(mock.commandCalls(DescribeSpotPriceHistoryCommand)[0]?.args[0].input).toEqual({
      InstanceTypes: [...ARM, ...X86],
      ProductDescriptions: ['Linux/UNIX'],
      StartTime: new Date('2026-01-01T00:00:00Z'),
      MaxResults: 100,
    });
    mock.restore();
  });

  it('one arch among the types needs no prices; an error gives arm64 and is not cached', async () => {
    const { client, mock } = pricedClient(new Error('socket hang up'));
    const choose = createSpotPriceArchChooser({ client, now: () => 0 });

    expect(await choose(X86)).toBe('amd64');
    expect(await choose(ARM)).toBe('arm64');
    expect(mock.commandCalls(DescribeSpotPriceHistoryCommand)).toHaveLength(0);
    expect(await choose([...ARM, ...X86])).toBe('arm64');
    expect(await choose([...ARM, ...X86])).toBe('arm64');
    expect(mock.commandCalls(DescribeSpotPriceHistoryCommand)).toHaveLength(2);
    mock.restore();
  });
});

describe('[moto] arch choice in a cold-start launch', () => {
  let fixture: Ec2Fixture;
  let client: EC2Client;
  let sent: Map<string, unknown[]>;

  beforeAll(async () => {
    client = motoClients().ec2;
    sent = recordRequests(client);
    fixture = await createEc2Fixture(client);
  });
  afterAll(() => client.destroy());

  const launchWith = (chooserClient: EC2Client) =>
    createEc2Compute({
      client,
      subnets: fixture.subnets.map((s) => s.subnetId),
      launchTemplates: fixture.launchTemplates,
      chooseArch: createSpotPriceArchChooser({ client: chooserClient, now: () => Date.now() }),
    });
  const fleetOf = (commandId: string) =>
    ((sent.get('CreateFleetCommand') ?? []) as CreateFleetCommandInput[]).find((f) => f.ClientToken === commandId);

  it("moto's prices are all equal: arm64, and the price request went to moto as built", async () => {
    const command = launchCommand({ instanceTypes: [...ARM, ...X86] });

    const launched = await launchWith(client).launch(command);

    expect(launched).toEqual(E.right(expect.objectContaining({ instanceType: 'c7g.large' })));
    const asked = (sent.get('DescribeSpotPriceHistoryCommand') ?? []) as DescribeSpotPriceHistoryCommandInput[];
    expect(asked.at(-1)).toMatchObject({ InstanceTypes: [...ARM, ...X86], ProductDescriptions: ['Linux/UNIX'] });
    expect(
      fleetOf(command.commandId)?.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification?.LaunchTemplateName,
    ).toBe(fixture.launchTemplates.arm64);
  });

  it('amd64 cheaper: the amd64 template and types only, and the choice is on the instance (tag and type)', async () => {
    const { client: priced, mock } = pricedClient([price('c7g.large', '0.05'), price('c6i.large', '0.03')]);
    const command = launchCommand({ instanceTypes: [...ARM, ...X86] });

    const launched = await launchWith(priced).launch(command);

    const fleet = fleetOf(command.commandId);
    expect(fleet?.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification?.LaunchTemplateName).toBe(
      fixture.launchTemplates.amd64,
    );
    expect(new Set(fleet?.LaunchTemplateConfigs?.[0]?.Overrides?.map((o) => o.InstanceType))).toEqual(new Set(X86));
    expect(launched).toEqual(E.right(expect.objectContaining({ instanceType: 'c6i.large' })));
    const [instance] = await instancesTagged(client, TAG_COMMAND_ID, command.commandId);
    expect(tagsOf(instance!)['runs-fleet:arch']).toBe('amd64');
    mock.restore();
  });

  it('a request whose label named the arch is never priced', async () => {
    const { client: priced, mock } = pricedClient([price('c6i.large', '0.01')]);
    await launchWith(priced).launch(launchCommand({ instanceTypes: ARM, arch: 'arm64' }));
    expect(mock.commandCalls(DescribeSpotPriceHistoryCommand)).toHaveLength(0);
    expect(mock.commandCalls(CreateFleetCommand)).toHaveLength(0);
    mock.restore();
  });
});
