import {
  CreateFleetCommand,
  CreateTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  type CreateFleetCommandInput,
  type CreateTagsCommandInput,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointConfig } from '../../test/harness/emulator-process.js';
import { motoReady } from '../../test/harness/moto-client.js';
import {
  buildFleetRequest,
  classifyEc2Error,
  classifyErrorCode,
  createEc2Compute,
  MAX_FLEET_OVERRIDES,
  TAG_COMMAND_ID,
  TAG_MACHINE_ID,
  typesPerSubnet,
} from './index.js';
import {
  createEc2Fixture,
  injectServiceError,
  instancesTagged,
  launchCommand,
  tagsOf,
  TEST_IMAGE_ID,
  type Ec2Fixture,
} from './testing.js';

const ec2Client = (): EC2Client =>
  new EC2Client({
    endpoint: endpointConfig(motoReady),
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 3,
  });

interface Recording {
  readonly client: EC2Client;
  readonly fleets: CreateFleetCommandInput[];
  readonly createTags: CreateTagsCommandInput[];
}

/** A client whose CreateFleet and CreateTags inputs are recorded by SDK middleware, as sent to moto. */
const recordingClient = (): Recording => {
  const client = ec2Client();
  const fleets: CreateFleetCommandInput[] = [];
  const createTags: CreateTagsCommandInput[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'CreateFleetCommand')
        fleets.push(structuredClone(args.input as CreateFleetCommandInput));
      if (context.commandName === 'CreateTagsCommand')
        createTags.push(structuredClone(args.input as CreateTagsCommandInput));
      return next(args);
    },
    { step: 'initialize', name: 'recordEc2Requests' },
  );

  return { client, fleets, createTags };
};

describe('[moto] ec2 compute adapter', () => {
  let fixture: Ec2Fixture;
  let subnetIds: string[];
  const clients: EC2Client[] = [];
  const track = <T extends { client: EC2Client }>(x: T): T => {
    clients.push(x.client);
    return x;
  };

  beforeAll(async () => {
    const { client } = track({ client: ec2Client() });
    fixture = await createEc2Fixture(client);
    subnetIds = fixture.subnets.map((s) => s.subnetId);
  });
  afterAll(() => {
    for (const client of clients) client.destroy();
  });

  const compute = (client: EC2Client) =>
    createEc2Compute({
      client,
      subnets: subnetIds,
      launchTemplates: fixture.launchTemplates,
      tags: { Application: 'runs-fleet', 'runs-fleet:managed': 'overridden?' },
    });

  it('a cold-start spot launch sends exactly the fleet request, tags the instance and re-applies the tags', async () => {
    const { client, fleets, createTags } = track(recordingClient());
    const label = `runs-fleet=123/cpu=2/${'x'.repeat(300)}`;
    const command = launchCommand({ instanceTypes: ['c7g.large', 'm7g.large', 'c6i.large'], label });
    const id = command.commandId;

    const launched = await compute(client).launch(command);

    const disk = {
      BlockDeviceMappings: [
        {
          DeviceName: '/dev/xvda',
          Ebs: { VolumeSize: 40, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
        },
      ],
    };
    const [a, b] = subnetIds;
    const tags = [
      { Key: 'Application', Value: 'runs-fleet' },
      { Key: 'runs-fleet:managed', Value: 'true' },
      { Key: 'Name', Value: 'runs-fleet-runner-hello-world' },
      { Key: 'runs-fleet:command-id', Value: id },
      { Key: 'runs-fleet:machine-id', Value: id },
      { Key: 'runs-fleet:job-id', Value: '4242' },
      { Key: 'runs-fleet:arch', Value: 'arm64' },
      { Key: 'runs-fleet:label', Value: label.slice(0, 256) },
      { Key: 'runs-fleet:runner-name', Value: `runs-fleet-${id}` },
      { Key: 'runs-fleet:repo', Value: 'octo/hello-world' },
    ];
    expect(fleets).toEqual([
      {
        ClientToken: id,
        Type: 'instant',
        TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' },
        SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
        LaunchTemplateConfigs: [
          {
            LaunchTemplateSpecification: { LaunchTemplateName: fixture.launchTemplates.arm64, Version: '$Latest' },
            // c6i.large is amd64: one launch template per request, so the arm64 types only.
            Overrides: [
              { InstanceType: 'c7g.large', SubnetId: a, ...disk },
              { InstanceType: 'c7g.large', SubnetId: b, ...disk },
              { InstanceType: 'm7g.large', SubnetId: a, ...disk },
              { InstanceType: 'm7g.large', SubnetId: b, ...disk },
            ],
          },
        ],
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
      },
    ]);

    expect(E.isRight(launched)).toBe(true);
    if (E.isLeft(launched)) return;
    expect(launched.right).toMatchObject({ instanceType: 'c7g.large', capacity: 'spot', pricePerHour: null });
    expect(fixture.subnets.map((s) => s.zone)).toContain(launched.right.zone);
    expect(createTags).toEqual([{ Resources: [launched.right.cloudId], Tags: tags }]);

    const onMoto = await instancesTagged(client, TAG_COMMAND_ID, id);
    expect(onMoto.map((i) => i.InstanceId)).toEqual([launched.right.cloudId]);
    expect(tagsOf(onMoto[0]!)).toMatchObject(Object.fromEntries(tags.map((t) => [t.Key, t.Value])));

    await expect(compute(client).findByCommandId(id)).resolves.toEqual(launched.right);
    await expect(compute(client).findByCommandId(launchCommand().commandId)).resolves.toBeNull();
  });

  it('an on-demand launch uses the primary type only, across every subnet, with the amd64 template when asked', async () => {
    const { client, fleets } = track(recordingClient());
    const command = launchCommand({
      capacity: 'on-demand',
      arch: 'amd64',
      instanceTypes: ['c6i.large', 'm6i.large'],
      diskGiB: null,
      pool: 'default',
    });

    const launched = await compute(client).launch(command);

    const sent = fleets[0]!;
    expect(sent.TargetCapacitySpecification).toEqual({
      TotalTargetCapacity: 1,
      DefaultTargetCapacityType: 'on-demand',
    });
    expect(sent.SpotOptions).toBeUndefined();
    expect(sent.LaunchTemplateConfigs).toEqual([
      {
        LaunchTemplateSpecification: { LaunchTemplateName: fixture.launchTemplates.amd64, Version: '$Latest' },
        Overrides: subnetIds.map((SubnetId) => ({ InstanceType: 'c6i.large', SubnetId })),
      },
    ]);
    expect(sent.TagSpecifications?.[0]?.Tags).toContainEqual({ Key: 'runs-fleet:pool', Value: 'default' });
    expect(sent.TagSpecifications?.[0]?.Tags).toContainEqual({ Key: 'Name', Value: 'runs-fleet-runner-default' });
    expect(launched).toEqual(E.right(expect.objectContaining({ instanceType: 'c6i.large', capacity: 'on-demand' })));
    if (E.isRight(launched)) {
      await expect(compute(client).findByCommandId(command.commandId)).resolves.toMatchObject({
        cloudId: launched.right.cloudId,
        capacity: 'on-demand',
      });
    }
  });

  it('an arch that does not match the types is an invalid request, sent to nobody', async () => {
    const { client, fleets } = track(recordingClient());
    const launched = await compute(client).launch(launchCommand({ arch: 'amd64', instanceTypes: ['c7g.large'] }));

    expect(launched).toEqual(E.left(expect.objectContaining({ errorClass: 'invalid', typesTried: ['c7g.large'] })));
    expect(fleets).toEqual([]);
  });

  it('terminate touches only instances carrying the managed tag, and an absent machine is done', async () => {
    const { client } = track(recordingClient());
    const ec2 = compute(client);
    const mine = launchCommand();
    const other = launchCommand();
    const [launchedMine, launchedOther] = await Promise.all([ec2.launch(mine), ec2.launch(other)]);
    expect(E.isRight(launchedMine) && E.isRight(launchedOther)).toBe(true);
    // Not ours: one without tags, one with our machine-id tag but no managed tag.
    const foreign = await client.send(
      new RunInstancesCommand({ ImageId: TEST_IMAGE_ID, MinCount: 1, MaxCount: 1, SubnetId: subnetIds[0] }),
    );
    const impostor = await client.send(
      new RunInstancesCommand({
        ImageId: TEST_IMAGE_ID,
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: TAG_MACHINE_ID, Value: mine.data.machineId }] }],
      }),
    );
    const foreignId = foreign.Instances?.[0]?.InstanceId ?? '';
    const impostorId = impostor.Instances?.[0]?.InstanceId ?? '';

    await ec2.terminate([mine.data.machineId, foreignId, 'gone-machine'], 'test');

    const all = await instancesTagged(client, TAG_MACHINE_ID, mine.data.machineId, false);
    const state = (instanceId: string) => all.find((i) => i.InstanceId === instanceId)?.State?.Name;
    expect(state(E.isRight(launchedMine) ? launchedMine.right.cloudId : '')).toMatch(/shutting-down|terminated/);
    expect(state(impostorId)).toBe('running');
    expect((await instancesTagged(client, TAG_COMMAND_ID, other.commandId)).map((i) => i.State?.Name)).toEqual([
      'running',
    ]);
    const { Reservations } = await client.send(new DescribeInstancesCommand({ InstanceIds: [foreignId] }));
    expect(Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');
    await expect(ec2.findByCommandId(mine.commandId)).resolves.toBeNull();

    await expect(ec2.terminate([mine.data.machineId], 'again')).resolves.toBeUndefined();
    await expect(ec2.terminate([], 'nothing')).resolves.toBeUndefined();
  });
});

describe('[moto] ec2 compute adapter: throttling and refusals, injected below the SDK retry', () => {
  let fixture: Ec2Fixture;
  beforeAll(async () => {
    const client = ec2Client();
    fixture = await createEc2Fixture(client);
    client.destroy();
  });

  /** A moto client with the SDK's standard retry strategy, 3 attempts (its backoff for throttling: jitter below 0.5·2^n s). */
  const retryingClient = ec2Client;
  const computeOn = (client: EC2Client) =>
    createEc2Compute({
      client,
      subnets: fixture.subnets.map((s) => s.subnetId),
      launchTemplates: fixture.launchTemplates,
    });

  it('throttling is retried by the SDK with backoff, then launches; throttled every time, it is `throttled`', async () => {
    const client = retryingClient();
    const twice = injectServiceError(client, 'CreateFleetCommand', 'RequestLimitExceeded', 2);
    const command = launchCommand();

    expect(await computeOn(client).launch(command)).toEqual(E.right(expect.objectContaining({ capacity: 'spot' })));
    expect(twice.calls).toBe(3);
    expect(await instancesTagged(client, TAG_COMMAND_ID, command.commandId)).toHaveLength(1);

    const always = retryingClient();
    const counted = injectServiceError(always, 'CreateFleetCommand', 'RequestLimitExceeded');
    expect(await computeOn(always).launch(launchCommand())).toEqual(
      E.left(
        expect.objectContaining({ errorClass: 'throttled', message: expect.stringContaining('RequestLimitExceeded') }),
      ),
    );
    expect(counted.calls).toBe(3);
    client.destroy();
    always.destroy();
  });

  it('unauthorized is one call and a visible failure: no retry storm', async () => {
    for (const code of ['UnauthorizedOperation', 'AuthFailure']) {
      const client = retryingClient();
      const counted = injectServiceError(client, 'CreateFleetCommand', code);

      expect(await computeOn(client).launch(launchCommand())).toEqual(
        E.left(expect.objectContaining({ errorClass: 'unauthorized', message: expect.stringContaining(code) })),
      );
      expect(counted.calls).toBe(1);
      client.destroy();
    }
  });

  it('a launch template that does not exist is `invalid` (not found), sent once', async () => {
    const client = retryingClient();
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'finalizeRequest', name: 'count', priority: 'low' },
    );
    const ec2 = createEc2Compute({
      client,
      subnets: fixture.subnets.map((s) => s.subnetId),
      launchTemplates: { arm64: 'no-such-template-arm64', amd64: 'no-such-template-amd64' },
    });

    const launched = await ec2.launch(launchCommand());

    expect(launched).toEqual(E.left(expect.objectContaining({ errorClass: 'invalid' })));
    expect(sent.filter((name) => name === 'CreateFleetCommand')).toHaveLength(1);
    client.destroy();
  });
});

describe('[moto] ec2 compute adapter: failures (aws-sdk-client-mock where moto cannot produce them)', () => {
  const options = {
    subnets: ['subnet-a', 'subnet-b'],
    launchTemplates: { arm64: 'lt-arm64', amd64: 'lt-amd64' },
  };

  it('CreateFleet answering with capacity errors and no instance is a capacity failure naming the types tried', async () => {
    const client = new EC2Client({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(CreateFleetCommand).resolves({
      FleetId: 'fleet-1',
      Instances: [],
      Errors: [
        {
          ErrorCode: 'InsufficientInstanceCapacity',
          ErrorMessage: 'We currently do not have sufficient c7g.large capacity',
          LaunchTemplateAndOverrides: { Overrides: { InstanceType: 'c7g.large', SubnetId: 'subnet-a' } },
        },
        { ErrorCode: 'InsufficientInstanceCapacity', ErrorMessage: 'no m7g.large either' },
      ],
    });

    const launched = await createEc2Compute({ client, ...options }).launch(launchCommand());

    expect(launched).toEqual(
      E.left({
        errorClass: 'capacity',
        // Per code, the types and subnets refused (what a job's timeline shows), else EC2's message.
        message: 'InsufficientInstanceCapacity: c7g.large in subnet-a; no m7g.large either',
        typesTried: ['c7g.large', 'm7g.large'],
      }),
    );
    expect(mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
    mock.restore();
  });

  it('fleet errors and thrown service errors are classified; a network error is thrown for the bus to retry', async () => {
    const client = new EC2Client({ region: 'us-east-1', maxAttempts: 1 });
    const mock = mockClient(client);
    const ec2 = createEc2Compute({ client, ...options });
    const serviceError = (name: string) =>
      new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: name });

    mock
      .on(CreateFleetCommand)
      .resolves({ Errors: [{ ErrorCode: 'RequestLimitExceeded', ErrorMessage: 'slow down' }] });
    expect(await ec2.launch(launchCommand())).toEqual(E.left(expect.objectContaining({ errorClass: 'throttled' })));
    mock.on(CreateFleetCommand).resolves({ Errors: [] });
    expect(await ec2.launch(launchCommand())).toEqual(E.left(expect.objectContaining({ errorClass: 'unknown' })));
    mock.on(CreateFleetCommand).rejects(serviceError('UnauthorizedOperation'));
    expect(await ec2.launch(launchCommand())).toEqual(E.left(expect.objectContaining({ errorClass: 'unauthorized' })));
    mock.on(CreateFleetCommand).rejects(serviceError('InvalidLaunchTemplateName.NotFoundException'));
    expect(await ec2.launch(launchCommand())).toEqual(E.left(expect.objectContaining({ errorClass: 'invalid' })));
    mock.on(CreateFleetCommand).rejects(new Error('socket hang up'));
    await expect(ec2.launch(launchCommand())).rejects.toThrow('socket hang up');
    mock.restore();
  });

  it('classifies EC2 error codes', () => {
    expect(classifyErrorCode('InsufficientCapacity')).toBe('capacity');
    expect(classifyErrorCode('Unsupported')).toBe('capacity');
    expect(classifyErrorCode('SomethingNew', 'There is insufficient capacity')).toBe('capacity');
    expect(classifyErrorCode('Throttling')).toBe('throttled');
    expect(classifyErrorCode('AuthFailure')).toBe('unauthorized');
    expect(classifyErrorCode('InvalidParameterValue')).toBe('invalid');
    expect(classifyErrorCode('InternalError')).toBe('unknown');
    expect(classifyErrorCode('UnfulfillableCapacity')).toBe('capacity');
    expect(classifyErrorCode('MaxSpotInstanceCountExceeded')).toBe('capacity');
    expect(classifyErrorCode('SpotMaxPriceTooLow')).toBe('capacity');
    expect(classifyErrorCode('UnauthorizedOperation')).toBe('unauthorized');
    expect(classifyErrorCode('RequestLimitExceeded')).toBe('throttled');
    // Not found: an instance we act on is gone (done); a launch naming a missing resource is a configuration error.
    expect(classifyEc2Error('InvalidInstanceID.NotFound')).toBe('not-found');
    expect(classifyEc2Error('InvalidLaunchTemplateName.NotFoundException')).toBe('not-found');
    expect(classifyErrorCode('InvalidLaunchTemplateName.NotFoundException')).toBe('invalid');
  });

  it('caps overrides at 60, trimming types and never dropping a zone', () => {
    const types = Array.from({ length: 40 }, (_, i) => `c7g.${i}xlarge`);
    const subnets = (n: number) => Array.from({ length: n }, (_, i) => `subnet-${i}`);
    const overrides = (n: number) => {
      const built = buildFleetRequest(launchCommand({ instanceTypes: types, arch: 'arm64', diskGiB: null }), {
        subnets: subnets(n),
        launchTemplates: options.launchTemplates,
      });
      return E.isRight(built) ? (built.right.input.LaunchTemplateConfigs?.[0]?.Overrides ?? []) : [];
    };

    expect(typesPerSubnet(40, 2)).toBe(30);
    expect(overrides(2)).toHaveLength(MAX_FLEET_OVERRIDES);
    expect(overrides(3)).toHaveLength(MAX_FLEET_OVERRIDES);
    expect(overrides(7)).toHaveLength(56); // 8 types × 7 zones
    expect(overrides(61)).toHaveLength(61); // one type, every zone kept
    expect(new Set(overrides(61).map((o) => o.SubnetId)).size).toBe(61);
    expect(overrides(1)).toHaveLength(40);
  });

  it('without an arch, chooses amd64 only when every type is amd64', () => {
    const archOf = (instanceTypes: string[]) => {
      const built = buildFleetRequest(launchCommand({ instanceTypes }), options);
      return E.isRight(built) ? built.right.arch : null;
    };
    expect(archOf(['c6i.large', 'm6i.large'])).toBe('amd64');
    expect(archOf(['c6i.large', 'm7g.large'])).toBe('arm64');
    expect(archOf(['unknown.type'])).toBe('arm64');
  });
});
