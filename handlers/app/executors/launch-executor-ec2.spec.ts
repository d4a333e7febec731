import * as E from 'fp-ts/lib/Either.js';
import { EC2Client, type CreateFleetCommandInput, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Compute, TAG_COMMAND_ID } from '../../../adapters/ec2/index.js';
import { createEc2Fixture, instancesTagged, launchCommand, type Ec2Fixture } from '../../../adapters/ec2/testing.js';
import { createMemoryEventStore } from '../../../adapters/store-memory/index.js';
import type { ComputePort } from '../../../domain/ports/compute.js';
import { machineStreamId } from '../../../domain/shared/ids.js';
import type { EventStore } from '../../../domain/store/event-store.js';
import { endpointConfig } from '../../../test/harness/emulator-process.js';
import { motoReady } from '../../../test/harness/moto-client.js';
import { executeLaunch } from './launch-executor.js';

/**
 * DESIGN section 3 against moto's EC2 (which ignores ClientToken): the claim and the lookup by the commandId tag are
 * what keep one command from launching two instances.
 */
const at = (): string => '2026-01-01T00:00:00.000Z';

const ec2Client = (): { client: EC2Client; fleets: CreateFleetCommandInput[]; runs: RunInstancesCommandInput[] } => {
  const client = new EC2Client({
    endpoint: endpointConfig(motoReady),
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 3,
  });
  const fleets: CreateFleetCommandInput[] = [];
  const runs: RunInstancesCommandInput[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'CreateFleetCommand') fleets.push(args.input as CreateFleetCommandInput);
      if (context.commandName === 'RunInstancesCommand') runs.push(args.input as RunInstancesCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'recordLaunches' },
  );

  return { client, fleets, runs };
};

/** Holds the first read of each of `n` workers until all `n` have read: all are past their first read before any writes. */
const barrierOnFirstReads = (store: EventStore, n: number): EventStore => {
  let arrived = 0;
  let release: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => (release = resolve));

  return {
    ...store,
    append: (...args) => store.append(...args),
    listStreams: (category) => store.listStreams(category),
    read: async (streamId, options) => {
      const events = await store.read(streamId, options);
      if (arrived < n) {
        arrived += 1;
        if (arrived === n) release();
        await allArrived;
      }
      return events;
    },
  };
};

/** A worker that dies right after the cloud call: its outcome append throws once. */
const crashingOutcomeAppend = (store: EventStore): EventStore => {
  let crashed = false;

  return {
    read: (streamId, options) => store.read(streamId, options),
    listStreams: (category) => store.listStreams(category),
    append: async (streamId, events, expectedVersion) => {
      if (!crashed && events.some((e) => e.type === 'MachineLaunched')) {
        crashed = true;
        throw new Error('worker killed before recording the outcome');
      }
      return store.append(streamId, events, expectedVersion);
    },
  };
};

/** The cloud's lifecycle report (EventBridge, the sim's callback) lands before the executor records the launch. */
const reportingRunningFirst = (compute: ComputePort, store: EventStore): ComputePort => ({
  ...compute,
  launch: async (command) => {
    const launched = await compute.launch(command);
    if (E.isRight(launched)) {
      const streamId = machineStreamId(command.data.machineId);
      const version = (await store.read(streamId)).length;
      const running = { type: 'MachineRunning', data: { cloudId: launched.right.cloudId } } as const;
      await store.append(streamId, [{ ...running, metadata: { at: at() } }], version);
    }
    return launched;
  },
});

describe('[moto] launch executor on EC2: one command, one instance', () => {
  let fixture: Ec2Fixture;
  let client: EC2Client;
  let fleets: CreateFleetCommandInput[];
  let runs: RunInstancesCommandInput[];
  let compute: ComputePort;

  beforeAll(async () => {
    ({ client, fleets, runs } = ec2Client());
    fixture = await createEc2Fixture(client);
    compute = createEc2Compute({
      client,
      subnets: fixture.subnets.map((s) => s.subnetId),
      launchTemplates: fixture.launchTemplates,
    });
  });
  afterAll(() => client.destroy());

  const fleetsFor = (commandId: string) => fleets.filter((f) => f.ClientToken === commandId);
  const runsFor = (commandId: string) => runs.filter((r) => r.ClientToken === commandId);

  it('the same command carried out twice launches once', async () => {
    const store = createMemoryEventStore();
    const command = launchCommand();

    expect(await executeLaunch(store, compute, command, at)).toBe('launched');
    expect(await executeLaunch(store, compute, command, at)).toBe('already-settled');

    expect(await instancesTagged(client, TAG_COMMAND_ID, command.commandId)).toHaveLength(1);
    expect(fleetsFor(command.commandId)).toHaveLength(1);
  });

  it('a retry after a worker died between the launch and its record adopts the instance found by its tag', async () => {
    const store = createMemoryEventStore();
    const command = launchCommand();

    await expect(executeLaunch(crashingOutcomeAppend(store), compute, command, at)).rejects.toThrow('worker killed');
    expect(await executeLaunch(store, compute, command, at)).toBe('adopted');

    const instances = await instancesTagged(client, TAG_COMMAND_ID, command.commandId);
    expect(instances).toHaveLength(1);
    expect(fleetsFor(command.commandId)).toHaveLength(1);
    const events = await store.read(machineStreamId(command.data.machineId));
    expect(events.map((e) => e.type)).toEqual(['MachineRequested', 'MachineLaunchRetried', 'MachineLaunched']);
    expect(events[2]?.data).toMatchObject({ cloudId: instances[0]?.InstanceId, adopted: true, capacity: 'spot' });
  });

  it('records the launch when the running report arrived first, so the machine has a boot time', async () => {
    const store = createMemoryEventStore();
    const command = launchCommand({ pool: 'default', jobId: null, capacity: 'on-demand' });

    expect(await executeLaunch(store, reportingRunningFirst(compute, store), command, at)).toBe('launched');

    const events = await store.read(machineStreamId(command.data.machineId));
    expect(events.map((e) => e.type)).toEqual(['MachineRequested', 'MachineRunning', 'MachineLaunched']);
    expect(await instancesTagged(client, TAG_COMMAND_ID, command.commandId)).toHaveLength(1);
  });

  it('a retry after a worker died once the running report was in adopts the instance and records it', async () => {
    const store = createMemoryEventStore();
    const command = launchCommand({ pool: 'default', jobId: null, capacity: 'on-demand' });
    const dying = crashingOutcomeAppend(store);

    await expect(executeLaunch(dying, reportingRunningFirst(compute, store), command, at)).rejects.toThrow('killed');
    expect(await executeLaunch(store, compute, command, at)).toBe('adopted');

    const events = await store.read(machineStreamId(command.data.machineId));
    const types = ['MachineRequested', 'MachineRunning', 'MachineLaunchRetried', 'MachineLaunched'];
    expect(events.map((e) => e.type)).toEqual(types);
    expect(await instancesTagged(client, TAG_COMMAND_ID, command.commandId)).toHaveLength(1);
  });

  it.each([
    ['a cold start (CreateFleet)', () => launchCommand()],
    ['a warm-pool member (RunInstances)', () => launchCommand({ pool: 'default', jobId: null, capacity: 'on-demand' })],
  ])(
    'two workers started together on %s, both past their first read before either writes, launch once',
    async (_, make) => {
      const memory = createMemoryEventStore();
      const store = barrierOnFirstReads(memory, 2);
      const command = make();

      const results = await Promise.all([
        executeLaunch(store, compute, command, at),
        executeLaunch(store, compute, command, at),
      ]);

      expect([...results].sort()).toEqual(['launched', 'lost-claim']);
      expect(await instancesTagged(client, TAG_COMMAND_ID, command.commandId)).toHaveLength(1);
      expect(fleetsFor(command.commandId).length + runsFor(command.commandId).length).toBe(1);
      const events = await memory.read(machineStreamId(command.data.machineId));
      expect(events.map((e) => e.type)).toEqual(['MachineRequested', 'MachineLaunched']);
    },
  );
});
