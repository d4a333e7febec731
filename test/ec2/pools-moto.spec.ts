import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Compute, TAG_JOB_ID, TAG_POOL } from '../../adapters/ec2/index.js';
import { createEc2Fixture, instancesTagged, type Ec2Fixture } from '../../adapters/ec2/testing.js';
import { createSsmRunnerConfigStore } from '../../adapters/runner-config-ssm/index.js';
import type { PoolConfig } from '../../domain/pool/pool-state.js';
import { configurePool, poolConfig, poolCounts, reconcile } from '../pools/pool-world.js';
import { freshName, motoClients } from '../harness/moto-client.js';
import { createEc2World, type Ec2World } from './ec2-world.js';

/**
 * Issue 5, acceptance 3, on moto's EC2: warm pools converge with real RunInstances / StopInstances / StartInstances
 * (the EC2 adapter), the reconciler's decisions and timer loop (handlers/pools) on a test clock, and EC2's state
 * changes reported as the EventBridge adapter reports them (read here from moto's own instance states).
 */
const STATES: Readonly<Record<string, 'MachineRunning' | 'MachineStopped'>> = {
  running: 'MachineRunning',
  stopped: 'MachineStopped',
};

describe('[moto] warm pools on EC2', () => {
  const { ec2: moto, ssm } = motoClients();
  let fixture: Ec2Fixture;

  beforeAll(async () => {
    fixture = await createEc2Fixture(moto);
  });
  afterAll(() => {
    moto.destroy();
    ssm.destroy();
  });

  const newWorld = (): Ec2World =>
    createEc2World(
      createEc2Compute({
        client: moto,
        subnets: fixture.subnets.map((s) => s.subnetId),
        launchTemplates: fixture.launchTemplates,
      }),
      createSsmRunnerConfigStore({ client: ssm, prefix: `/${freshName('pools-moto')}` }),
    );

  /** EC2's state-change notifications for the world's machines, from moto's own view of the instances. */
  const reportStates = async (world: Ec2World): Promise<void> => {
    const ids = [...world.models.machines.values()].flatMap((m) =>
      m.cloudId !== null && m.status !== 'terminated' ? [[m.machineId ?? '', m.cloudId] as const] : [],
    );
    if (ids.length === 0) return;
    const out = await moto.send(new DescribeInstancesCommand({ InstanceIds: ids.map(([, cloudId]) => cloudId) }));
    const states = new Map(
      (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId, i.State?.Name]),
    );
    for (const [machineId, cloudId] of ids) {
      const type = STATES[states.get(cloudId) ?? ''];
      if (type !== undefined) await world.record(machineId, { type, data: { cloudId } });
    }
    await world.settle();
  };

  /** The reconcile timer's loop, a minute at a time, with EC2 reporting what it did. */
  const runMinutes = async (world: Ec2World, minutes: number): Promise<void> => {
    for (let i = 0; i < minutes; i += 1) {
      await reconcile(world);
      await reportStates(world);
      world.clock.advance(60_000);
    }
  };

  const poolOn = async (over: Partial<PoolConfig>): Promise<{ world: Ec2World; name: string }> => {
    const name = freshName('pool')
      .replace(/[^a-zA-Z0-9_-]/g, '-')
      .slice(0, 60);
    const world = newWorld();
    await configurePool(world, poolConfig({ name, label: `runs-fleet/pool=${name}/cpu=2/arch=arm64`, ...over }));
    // A pool with hot members stops its extra ones only after the idle timeout (10 min): SPEC section 4.
    await runMinutes(world, 15);

    return { world, name };
  };

  const byState = async (name: string) => {
    const instances = await instancesTagged(moto, TAG_POOL, name);
    const count = (state: string) => instances.filter((i: Instance) => i.State?.Name === state).length;

    return { running: count('running'), stopped: count('stopped'), total: instances.length };
  };

  it('converges from empty to N stopped and M hot on-demand instances, then holds still', async () => {
    const { world, name } = await poolOn({ desiredRunning: 2, desiredStopped: 3 });

    expect(await byState(name)).toEqual({ running: 2, stopped: 3, total: 5 });
    expect(poolCounts(world, name)).toEqual({ hot: 2, stopped: 3, booting: 0, claimed: 0 });
    const instances = await instancesTagged(moto, TAG_POOL, name);
    expect(instances.every((i) => i.InstanceLifecycle === undefined)).toBe(true); // on-demand: no spot lifecycle
    await runMinutes(world, 5);
    expect(await byState(name)).toEqual({ running: 2, stopped: 3, total: 5 });
  });

  it('a job claims a stopped member: the instance is started, nothing is launched', async () => {
    const { world, name } = await poolOn({ desiredRunning: 0, desiredStopped: 1 });
    const [member] = await instancesTagged(moto, TAG_POOL, name);
    expect(member?.State?.Name).toBe('stopped');

    const jobId = `${Date.now()}7`;
    await world.queued({ jobId, labels: [`runs-fleet=7/pool=${name}`] });
    await world.settle();
    await reportStates(world);

    const after = await instancesTagged(moto, TAG_POOL, name);
    expect(after.map((i) => [i.InstanceId, i.State?.Name])).toEqual([[member?.InstanceId, 'running']]);
    const claimed = [...world.models.machines.values()].find((m) => m.cloudId === member?.InstanceId);
    expect(claimed?.claimedVersion).toBeGreaterThan(0);
    // EC2's "running" state change for the started member assigns it to the job.
    expect(world.models.job(jobId)).toMatchObject({ status: 'assigned', machineId: claimed?.machineId });
    // The pool launches a replacement for its claimed member later; nothing was launched for the job.
    const forJob = world.dispatched.filter((c) => c.type === 'LaunchMachine' && c.data.request.jobId !== null);
    expect(forJob).toEqual([]);
  });

  it('concurrent jobs for one member: one claims it, the other cold-starts on spot', async () => {
    const { world, name } = await poolOn({ desiredRunning: 0, desiredStopped: 1 });
    const [member] = await instancesTagged(moto, TAG_POOL, name);
    const base = Date.now();
    const jobs = [`${base}1`, `${base}2`].map((jobId) => ({
      jobId,
      labels: [`runs-fleet=7/pool=${name}/cpu=2/arch=arm64`],
    }));

    await Promise.all(jobs.map((job) => world.queued(job)));
    await world.settle();
    await reportStates(world);

    const assigned = jobs.map((job) => world.models.job(job.jobId)?.machineId ?? null);
    const winners = assigned.filter((id) => world.models.machine(id ?? '')?.cloudId === member?.InstanceId);
    expect(winners).toHaveLength(1);
    const loser = jobs[assigned.findIndex((id) => world.models.machine(id ?? '')?.cloudId !== member?.InstanceId)];
    const missed = (await world.store.read(`job#${loser?.jobId ?? ''}`)).map((e) => e.type);
    expect(missed).toContain('PoolClaimMissed');
    const cold = await instancesTagged(moto, TAG_JOB_ID, loser?.jobId ?? '');
    expect(cold.map((i) => i.InstanceLifecycle)).toEqual(['spot']);
  });

  it('an idle hot member beyond the hot target is stopped only after the guards pass, and then on EC2', async () => {
    const name = freshName('pool')
      .replace(/[^a-zA-Z0-9_-]/g, '-')
      .slice(0, 60);
    const world = newWorld();
    const label = `runs-fleet/pool=${name}/cpu=2/arch=arm64`;
    await configurePool(world, poolConfig({ name, label, desiredRunning: 1, desiredStopped: 1 }));

    // Both launched and booted, past the boot grace and the dwell time, but not yet idle for the idle timeout.
    await runMinutes(world, 6);
    expect(await byState(name)).toEqual({ running: 2, stopped: 0, total: 2 });
    expect(poolCounts(world, name)).toEqual({ hot: 2, stopped: 0, booting: 0, claimed: 0 });

    await runMinutes(world, 8);
    expect(await byState(name)).toEqual({ running: 1, stopped: 1, total: 2 });
    const stops = world.dispatched.filter((c) => c.type === 'StopMachines');
    expect(stops).toHaveLength(1);
  });
});
