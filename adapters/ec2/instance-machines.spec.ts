import { RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoClients } from '../../test/harness/moto-client.js';
import { createEc2Compute, createInstanceMachines } from './index.js';
import { createEc2Fixture, launchCommand, recordRequests, TEST_IMAGE_ID } from './testing.js';

describe('[moto] instance id → machine id, through our tags', () => {
  let client: EC2Client;
  let sent: Map<string, unknown[]>;
  let ours: { instanceId: string; machineId: string };
  let foreignId: string;

  beforeAll(async () => {
    client = motoClients().ec2;
    sent = recordRequests(client);
    const fixture = await createEc2Fixture(client);
    const command = launchCommand();
    const launched = await createEc2Compute({
      client,
      subnets: fixture.subnets.map((s) => s.subnetId),
      launchTemplates: fixture.launchTemplates,
    }).launch(command);
    if (E.isLeft(launched)) throw new Error(launched.left.message);
    ours = { instanceId: launched.right.cloudId, machineId: command.data.machineId };
    const foreign = await client.send(new RunInstancesCommand({ ImageId: TEST_IMAGE_ID, MinCount: 1, MaxCount: 1 }));
    foreignId = foreign.Instances?.[0]?.InstanceId ?? '';
  });
  afterAll(() => client.destroy());

  const describes = () => (sent.get('DescribeInstancesCommand') ?? []).length;

  it('answers ours with its machine id, a foreign one with null, an unknown one not at all; and remembers', async () => {
    let now = 0;
    const machinesOf = createInstanceMachines({ client, now: () => now, negativeTtlMs: 60_000 });
    const unknown = 'i-0123456789abcdef0';

    const before = describes();
    const first = await machinesOf([ours.instanceId, foreignId, unknown]);
    expect(first).toEqual(
      new Map<string, string | null>([
        [ours.instanceId, ours.machineId],
        [foreignId, null],
      ]),
    );
    expect(describes()).toBe(before + 1);

    // Ours and the foreign one are remembered; the unknown one is asked about again.
    now += 59_000;
    expect(await machinesOf([ours.instanceId, foreignId])).toEqual(first);
    expect(describes()).toBe(before + 1);
    await machinesOf([unknown]);
    expect(describes()).toBe(before + 2);
    // The foreign answer expires; ours does not.
    now += 2_000;
    await machinesOf([ours.instanceId]);
    expect(describes()).toBe(before + 2);
    expect(await machinesOf([foreignId])).toEqual(new Map([[foreignId, null]]));
    expect(describes()).toBe(before + 3);
  });
});
