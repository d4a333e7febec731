import { CreateSubnetCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, describe, expect, it } from 'vitest';
import { motoClients } from '../../test/harness/moto-client.js';
import { collapseSubnetsPerZone } from './index.js';
import { createEc2Fixture } from './testing.js';

describe('[moto] subnets collapsed to one per zone', () => {
  const { ec2 } = motoClients();
  afterAll(() => ec2.destroy());

  it('keeps the first subnet of each zone, in the configured order', async () => {
    const fixture = await createEc2Fixture(ec2, ['us-east-1a', 'us-east-1b']);
    const [a, b] = fixture.subnets.map((s) => s.subnetId) as [string, string];
    const vpc = await ec2.send(new DescribeVpcsCommand({ VpcIds: [fixture.vpcId] }));
    const cidr = (vpc.Vpcs?.[0]?.CidrBlock ?? '').replace(/\.0\.0\/16$/, '.9.0/24');
    const secondInA = await ec2.send(
      new CreateSubnetCommand({ VpcId: fixture.vpcId, CidrBlock: cidr, AvailabilityZone: 'us-east-1a' }),
    );
    const a2 = secondInA.Subnet?.SubnetId ?? '';

    expect(await collapseSubnetsPerZone(ec2, [a2, a, b])).toEqual([a2, b]);
    expect(await collapseSubnetsPerZone(ec2, [b, a, a2])).toEqual([b, a]);
  });

  it('uses the list as configured when the subnets cannot be described', async () => {
    const errors: unknown[] = [];
    const offline = new EC2Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });

    expect(await collapseSubnetsPerZone(offline, ['subnet-1', 'subnet-2'], (e) => errors.push(e))).toEqual([
      'subnet-1',
      'subnet-2',
    ]);
    expect(errors).toHaveLength(1);
    offline.destroy();
  });
});
