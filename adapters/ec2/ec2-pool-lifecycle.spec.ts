import {
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type InstanceStateName,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoClients } from '../../test/harness/moto-client.js';
import { createEc2Compute, Ec2OperationError, TAG_COMMAND_ID, TAG_MACHINE_ID } from './index.js';
import {
  createEc2Fixture,
  instancesTagged,
  launchCommand,
  recordRequests,
  tagsOf,
  TEST_IMAGE_ID,
  type Ec2Fixture,
} from './testing.js';

/** A warm-pool member's launch: a pool and no job (SPEC section 4), on-demand. */
const memberCommand = (overrides: Parameters<typeof launchCommand>[0] = {}) =>
  launchCommand({ pool: 'default', jobId: null, repo: null, capacity: 'on-demand', ...overrides });

const serviceError = (name: string) =>
  new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: `${name} (mocked)` });

describe('[moto] ec2 compute adapter: warm-pool members', () => {
  let fixture: Ec2Fixture;
  let client: EC2Client;
  let sent: Map<string, unknown[]>;
  let subnetIds: string[];

  beforeAll(async () => {
    client = motoClients().ec2;
    sent = recordRequests(client);
    fixture = await createEc2Fixture(client);
    subnetIds = fixture.subnets.map((s) => s.subnetId);
  });
  afterAll(() => client.destroy());

  const compute = () =>
    createEc2Compute({ client, subnets: subnetIds, launchTemplates: fixture.launchTemplates, tags: { Team: 'ci' } });
  const runsOf = (commandId: string) =>
    ((sent.get('RunInstancesCommand') ?? []) as RunInstancesCommandInput[]).filter((r) =>
      r.ClientToken?.startsWith(commandId),
    );
  const stateOf = async (instanceId: string) => {
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
  };

  it('launches a member with RunInstances: on-demand, the arch template, the primary type, tags, ClientToken, disk', async () => {
    const command = memberCommand({ instanceTypes: ['m7g.large', 'c7g.large'], diskGiB: 30 });

    const launched = await compute().launch(command);

    expect(sent.get('CreateFleetCommand') ?? []).toEqual([]);
    const id = command.commandId;
    expect(runsOf(id)).toEqual([
      {
        ClientToken: id,
        MinCount: 1,
        MaxCount: 1,
        LaunchTemplate: { LaunchTemplateName: fixture.launchTemplates.arm64, Version: '$Latest' },
        InstanceType: 'm7g.large',
        SubnetId: subnetIds[0],
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { VolumeSize: 30, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
          },
        ],
        TagSpecifications: [
          {
            ResourceType: 'instance',
            Tags: [
              { Key: 'Team', Value: 'ci' },
              { Key: 'Name', Value: 'runs-fleet-runner-default' },
              { Key: 'runs-fleet:managed', Value: 'true' },
              { Key: 'runs-fleet:command-id', Value: id },
              { Key: 'runs-fleet:machine-id', Value: id },
              { Key: 'runs-fleet:pool', Value: 'default' },
              { Key: 'runs-fleet:arch', Value: 'arm64' },
              { Key: 'runs-fleet:label', Value: 'runs-fleet=123/cpu=2' },
              { Key: 'runs-fleet:runner-name', Value: `runs-fleet-${id}` },
            ],
          },
        ],
      },
    ]);
    expect(launched).toEqual(
      E.right({
        cloudId: expect.stringMatching(/^i-/),
        instanceType: 'm7g.large',
        capacity: 'on-demand',
        zone: fixture.subnets[0]?.zone,
        pricePerHour: null,
      }),
    );
    const [instance] = await instancesTagged(client, TAG_COMMAND_ID, id);
    expect(tagsOf(instance!)).toMatchObject({ 'runs-fleet:pool': 'default', 'runs-fleet:managed': 'true' });
    await expect(compute().findByCommandId(id)).resolves.toMatchObject({ cloudId: instance?.InstanceId });
  });

  it('stops and starts only members carrying the managed tag; both are idempotent and skip gone machines', async () => {
    const ec2 = compute();
    const a = memberCommand();
    const b = memberCommand();
    const [launchedA, launchedB] = await Promise.all([ec2.launch(a), ec2.launch(b)]);
    if (E.isLeft(launchedA) || E.isLeft(launchedB)) throw new Error('launch failed');
    // Carries our machine-id tag, but not the managed tag: never ours to stop.
    const impostor = await client.send(
      new RunInstancesCommand({
        ImageId: TEST_IMAGE_ID,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: TAG_MACHINE_ID, Value: a.data.machineId }] }],
      }),
    );
    const impostorId = impostor.Instances?.[0]?.InstanceId ?? '';

    await ec2.stop([a.data.machineId, b.data.machineId, 'gone-machine']);
    expect(await stateOf(launchedA.right.cloudId)).toBe('stopped');
    expect(await stateOf(launchedB.right.cloudId)).toBe('stopped');
    expect(await stateOf(impostorId)).toBe('running');
    const stops = (sent.get('StopInstancesCommand') ?? []).length;
    await ec2.stop([a.data.machineId]);
    expect((sent.get('StopInstancesCommand') ?? []).length).toBe(stops);

    await ec2.start([a.data.machineId]);
    expect(await stateOf(launchedA.right.cloudId)).toBe('running');
    expect(await stateOf(launchedB.right.cloudId)).toBe('stopped');
    const starts = (sent.get('StartInstancesCommand') ?? []).length;
    await ec2.start([a.data.machineId]);
    expect((sent.get('StartInstancesCommand') ?? []).length).toBe(starts);
    await expect(ec2.start([])).resolves.toBeUndefined();

    // A stopped member can still be terminated.
    await ec2.terminate([b.data.machineId], 'test');
    expect(await stateOf(launchedB.right.cloudId)).toMatch(/shutting-down|terminated/);
    await expect(ec2.start([b.data.machineId])).resolves.toBeUndefined();
  });

  it('the same member command carried out by a retry after a crash is found by its tag, not launched again', async () => {
    const command = memberCommand();
    const ec2 = compute();
    await ec2.launch(command);

    const found = await ec2.findByCommandId(command.commandId);

    expect(found).toMatchObject({ capacity: 'on-demand' });
    expect(await instancesTagged(client, TAG_COMMAND_ID, command.commandId)).toHaveLength(1);
  });
});

describe('[moto] ec2 compute adapter: member faults (aws-sdk-client-mock where moto cannot produce them)', () => {
  const options = { subnets: ['subnet-a', 'subnet-b', 'subnet-c'], launchTemplates: { arm64: 'lt-a', amd64: 'lt-x' } };

  it('walks the zones on capacity errors, one ClientToken per zone, and stops at the first other error', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock
      .on(RunInstancesCommand, { SubnetId: 'subnet-a' })
      .rejects(serviceError('InsufficientInstanceCapacity'))
      .on(RunInstancesCommand, { SubnetId: 'subnet-b' })
      .resolves({
        Instances: [{ InstanceId: 'i-b', InstanceType: 'm7g.large', Placement: { AvailabilityZone: 'us-east-1b' } }],
      });
    const command = memberCommand({ instanceTypes: ['m7g.large'] });

    const launched = await createEc2Compute({ client, ...options }).launch(command);

    expect(launched).toEqual(E.right(expect.objectContaining({ cloudId: 'i-b', zone: 'us-east-1b' })));
    expect(
      mock.commandCalls(RunInstancesCommand).map((c) => [c.args[0].input.SubnetId, c.args[0].input.ClientToken]),
    ).toEqual([
      ['subnet-a', command.commandId],
      ['subnet-b', `${command.commandId}-1`],
    ]);

    mock.reset();
    mock.on(RunInstancesCommand).rejects(serviceError('InsufficientInstanceCapacity'));
    expect(await createEc2Compute({ client, ...options }).launch(command)).toEqual(
      E.left({
        errorClass: 'capacity',
        message: expect.stringMatching(/subnet-a: .*subnet-b: .*subnet-c: /),
        typesTried: ['m7g.large'],
      }),
    );
    expect(mock.commandCalls(RunInstancesCommand)).toHaveLength(3);

    mock.reset();
    mock.on(RunInstancesCommand).rejects(serviceError('InvalidLaunchTemplateName.NotFoundException'));
    expect(await createEc2Compute({ client, ...options }).launch(command)).toEqual(
      E.left(expect.objectContaining({ errorClass: 'invalid' })),
    );
    expect(mock.commandCalls(RunInstancesCommand)).toHaveLength(1);
    mock.restore();
  });

  it('an instance gone between the lookup and the call does not keep the others from being acted on', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    const instance = (id: string, state: InstanceStateName) => ({ InstanceId: id, State: { Name: state } });
    mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [instance('i-1', 'running'), instance('i-2', 'running')] }],
    });
    mock
      .on(TerminateInstancesCommand)
      .rejects(serviceError('InvalidInstanceID.NotFound'))
      .on(TerminateInstancesCommand, { InstanceIds: ['i-2'] })
      .resolves({});

    await createEc2Compute({ client, ...options }).terminate(['m1', 'm2'], 'test');

    expect(mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-1', 'i-2'],
      ['i-1'],
      ['i-2'],
    ]);
    mock.restore();
  });

  it('start: a member still stopping is retried later; a refusal is classified and thrown', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            { InstanceId: 'i-stopped', State: { Name: 'stopped' } },
            { InstanceId: 'i-stopping', State: { Name: 'stopping' } },
          ],
        },
      ],
    });
    mock.on(StartInstancesCommand).resolves({});
    const ec2 = createEc2Compute({ client, ...options });

    const error = await ec2.start(['m1', 'm2']).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Ec2OperationError);
    expect(error).toMatchObject({ operation: 'start', errorClass: 'in-transition' });
    expect(mock.commandCalls(StartInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([['i-stopped']]);

    mock.on(StartInstancesCommand).rejects(serviceError('InsufficientInstanceCapacity'));
    await expect(ec2.start(['m1'])).rejects.toMatchObject({ operation: 'start', errorClass: 'capacity' });
    mock.on(StopInstancesCommand).rejects(serviceError('UnauthorizedOperation'));
    mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-running', State: { Name: 'running' } }] }],
    });
    await expect(ec2.stop(['m1'])).rejects.toMatchObject({ operation: 'stop', errorClass: 'unauthorized' });
    mock.restore();
  });
});
