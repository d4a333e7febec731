import { DescribeInstancesCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Compute, TAG_MACHINE_ID } from '../../adapters/ec2/index.js';
import { createEc2Fixture, TEST_IMAGE_ID, type Ec2Fixture } from '../../adapters/ec2/testing.js';
import type { MachineRequested } from '../../domain/events/machine-events.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import { commandIdFor } from '../../domain/shared/command-id.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import type { EventStore, NewEvent } from '../../domain/store/event-store.js';
import { runOrphanInstances } from '../../handlers/housekeeping/index.js';
import { freshName, motoClients } from '../harness/moto-client.js';
import {
  addPoolMember,
  claimMemberForJob55,
  configurePool,
  createBench,
  job,
  launchStranger,
  MINUTE,
  queueJob,
  removePool,
  type Bench,
} from './fixtures.js';

/**
 * The orphan sweep against moto's EC2 with real instances: the EC2 adapter's `listManaged` (DescribeInstances on our
 * managed tag and this deployment's own tag) against the read models of the in-memory world. moto's launch times are
 * real, so the world's clock is set to the real time first; "20 minutes later" is the sweep's own clock moving on.
 */
const stateOf = async (client: EC2Client, scope: string, machineId: string): Promise<string | undefined> => {
  const out = await client.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${TAG_MACHINE_ID}`, Values: [machineId] },
        { Name: 'tag:runs-fleet:test-scope', Values: [scope] },
      ],
    }),
  );

  return out.Reservations?.flatMap((r) => r.Instances ?? [])[0]?.State?.Name;
};

/** An instance with our machine-id tag but WITHOUT the managed tag: never ours to touch. */
const launchUnmanaged = async (client: EC2Client, fixture: Ec2Fixture, scope: string): Promise<string> => {
  const machineId = commandIdFor({ streamId: 'job#unmanaged', version: Date.now() }, 'launch-runner');
  await client.send(
    new RunInstancesCommand({
      ImageId: TEST_IMAGE_ID,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't4g.medium',
      SubnetId: fixture.subnets[0]?.subnetId,
      TagSpecifications: [
        {
          ResourceType: 'instance',
          Tags: [
            { Key: TAG_MACHINE_ID, Value: machineId },
            { Key: 'runs-fleet:test-scope', Value: scope },
          ],
        },
      ],
    }),
  );

  return machineId;
};

/** Launches on moto the machine the world recorded for a job (same command, so the same machine-id tag). */
const launchOnMoto = async (bench: Bench, compute: ComputePort, machineId: string): Promise<void> => {
  const requested = (await bench.world.store.read(machineStreamId(machineId))).find(
    (e) => e.type === 'MachineRequested',
  );
  const command = (requested?.data as MachineRequested['data'] | undefined)?.command;
  if (command === undefined) throw new Error(`no request recorded for ${machineId}`);
  const launched = await compute.launch(command);
  if (launched._tag === 'Left') throw new Error(launched.left.message);
};

/** moto is shared by every file of the run: ids that cannot meet another file's (or an earlier test's). */
const unique = (): number => 1_000_000 + Math.floor(Math.random() * 1_000_000_000);

const atRealTime = (bench: Bench): void => bench.world.clock.advance(Date.now() - Date.parse(bench.world.clock.now()));

describe('[moto] housekeeping: orphan instances on EC2', () => {
  let client: EC2Client;
  let fixture: Ec2Fixture;

  beforeAll(async () => {
    client = motoClients().ec2;
    fixture = await createEc2Fixture(client);
  });
  afterAll(() => client.destroy());

  const ec2Compute = (scope: string) =>
    createEc2Compute({
      client,
      subnets: fixture.subnets.map((s) => s.subnetId),
      launchTemplates: fixture.launchTemplates,
      tags: { 'runs-fleet:test-scope': scope },
    });

  it("terminates only true orphans: not a booting instance, a stopped pool member, a live job's machine or an unmanaged instance", async () => {
    const scope = freshName('housekeeping');
    const compute = ec2Compute(scope);
    const bench = createBench();
    const { world } = bench;
    atRealTime(bench);
    await configurePool(world, 'default');
    await configurePool(world, 'old');
    const stoppedMember = await addPoolMember(world, 'default', unique(), { stopped: true, compute });
    const removedMember = await addPoolMember(world, 'old', unique(), { stopped: true, compute });
    await removePool(world, 'old');
    const busy = await queueJob(world, '1');
    await world.started(job('1'), runnerNameFor(busy));
    await world.settle();
    await launchOnMoto(bench, compute, busy);
    const stranger = await launchStranger(compute, unique());
    const unmanaged = await launchUnmanaged(client, fixture, scope);
    const deps = (now: string) => bench.deps({ compute, now: () => now });

    // Everything was launched moments ago: booting, within the grace, whatever our records say.
    const first = await runOrphanInstances(deps(world.clock.now()));
    expect(first).toMatchObject({ decided: 0, acted: 0 });
    expect(first.kept).toMatchObject({ 'within the 15-minute grace': 2, 'an unclaimed member of pool default': 1 });

    const later = new Date(Date.now() + 20 * MINUTE).toISOString();
    const second = await runOrphanInstances(deps(later));
    expect(second).toMatchObject({ decided: 2, acted: 2, withdrawn: 0 });
    expect(await stateOf(client, scope, stranger)).toMatch(/shutting-down|terminated/);
    expect(await stateOf(client, scope, removedMember)).toMatch(/shutting-down|terminated/);
    expect(await stateOf(client, scope, stoppedMember)).toBe('stopped');
    expect(await stateOf(client, scope, busy)).toBe('running');
    expect(await stateOf(client, scope, unmanaged)).toBe('running');
    const decided = (await world.store.read(machineStreamId(stranger))).map((e) => e.type);
    expect(decided).toEqual(['MachineOrphaned', 'MachineTerminated']);
  });

  it('re-reads before terminating: a member claimed between the decision and the act stays', async () => {
    const scope = freshName('housekeeping');
    const compute = ec2Compute(scope);
    const bench = createBench();
    const { world } = bench;
    atRealTime(bench);
    await configurePool(world, 'old');
    const member = await addPoolMember(world, 'old', unique(), { stopped: true, compute });
    await removePool(world, 'old');
    await queueJob(world, '9');
    const spec = world.models.job('9')?.spec ?? null;
    const claim = () => claimMemberForJob55(world, member, 'old', spec);
    let fired = false;
    const store: EventStore = {
      ...world.store,
      read: (...args) => world.store.read(...args),
      append: async (streamId: string, events: ReadonlyArray<NewEvent>, expected: number) => {
        const result = await world.store.append(streamId, events, expected);
        if (!fired && events.some((e) => e.type === 'MachineOrphaned')) {
          fired = true;
          await claim();
        }

        return result;
      },
    } as EventStore;
    const later = new Date(Date.now() + 20 * MINUTE).toISOString();
    const report = await runOrphanInstances(bench.deps({ compute, store, now: () => later }));
    expect(report).toMatchObject({ decided: 1, acted: 0, withdrawn: 1 });
    expect(await stateOf(client, scope, member)).toBe('stopped');
  });
});
