import { CreateFleetCommand, EC2ServiceException, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Compute, TAG_JOB_ID } from '../../adapters/ec2/index.js';
import { createEc2Fixture, instancesTagged, type Ec2Fixture } from '../../adapters/ec2/testing.js';
import { createSsmRunnerConfigStore } from '../../adapters/runner-config-ssm/index.js';
import type { ProvisionCommand } from '../../domain/commands/commands.js';
import { freshName, motoClients } from '../harness/moto-client.js';
import { createEc2World, type Ec2World } from './ec2-world.js';
import { withoutSpotCapacity, type SimulatedCapacity } from './simulated-capacity.js';

/**
 * Issue 5, acceptance 2: EC2 out of spot capacity (injected with aws-sdk-client-mock; everything else is moto) leads
 * to the job's other types, then to an on-demand launch, and the job's timeline (`runs-fleet explain --job`) says why.
 */
const LABEL = 'runs-fleet=9000/cpu=2+2/arch=arm64/family=c7g+m7g';

describe('[moto] spot capacity fallback through the whole pipeline', () => {
  const { ec2: moto, ssm } = motoClients();
  let fixture: Ec2Fixture;
  let simulated: SimulatedCapacity | undefined;
  let jobSeq = 0;

  beforeAll(async () => {
    fixture = await createEc2Fixture(moto);
  });
  afterEach(() => simulated?.mock.restore());
  afterAll(() => {
    moto.destroy();
    ssm.destroy();
  });

  const worldOn = (client: EC2Client): Ec2World =>
    createEc2World(
      createEc2Compute({
        client,
        subnets: fixture.subnets.map((s) => s.subnetId),
        launchTemplates: fixture.launchTemplates,
      }),
      createSsmRunnerConfigStore({ client: ssm, prefix: `/${freshName('runs-fleet-capacity')}` }),
    );
  /** Job ids unique across the run: moto is shared, and instances are found by their job tag. */
  const nextJob = () => ({ jobId: `${Date.now()}${(jobSeq += 1)}`, labels: [LABEL] });
  const launches = (world: Ec2World) =>
    world.dispatched.filter((c): c is ProvisionCommand => c.type === 'LaunchMachine');

  it('no spot capacity for the primary type: the same fleet request launches the next type, on spot', async () => {
    simulated = withoutSpotCapacity(moto, new Set(['c7g.large']));
    const world = worldOn(simulated.client);
    const job = nextJob();

    await world.queued(job);
    await world.settle();

    // One request named both types in every zone; EC2 placed it on the type that had capacity.
    expect(simulated.fleets).toHaveLength(1);
    const overrides = simulated.fleets[0]?.LaunchTemplateConfigs?.[0]?.Overrides ?? [];
    expect(new Set(overrides.map((o) => o.InstanceType))).toEqual(new Set(['c7g.large', 'm7g.large']));
    const view = world.models.job(job.jobId);
    expect(view?.status).toBe('assigned');
    const machine = world.models.machine(view?.machineId ?? '');
    expect(machine).toMatchObject({ instanceType: 'm7g.large', capacity: 'spot' });
    const instances = await instancesTagged(moto, TAG_JOB_ID, job.jobId);
    expect(instances.map((i) => [i.InstanceType, i.InstanceLifecycle])).toEqual([['m7g.large', 'spot']]);
    const { milestones } = await world.explain(job.jobId);
    expect(milestones.find((m) => m.name === 'machine launched')?.note).toMatch(
      /^m7g\.large spot in us-east-1[ab], i-/,
    );
  });

  it('no spot capacity for any type: a capacity failure, a requeue on-demand, an on-demand launch, and why', async () => {
    simulated = withoutSpotCapacity(moto, new Set(['c7g.large', 'm7g.large']));
    const world = worldOn(simulated.client);
    const job = nextJob();

    await world.queued(job);
    await world.settle();

    expect(launches(world).map((c) => c.data.request.capacity)).toEqual(['spot', 'on-demand']);
    expect(simulated.fleets.map((f) => f.TargetCapacitySpecification?.DefaultTargetCapacityType)).toEqual([
      'spot',
      'on-demand',
    ]);
    // On-demand: the primary type only, across every zone (SPEC section 3).
    expect(simulated.fleets[1]?.LaunchTemplateConfigs?.[0]?.Overrides?.map((o) => o.InstanceType)).toEqual([
      'c7g.large',
      'c7g.large',
    ]);
    const view = world.models.job(job.jobId);
    expect(view).toMatchObject({ status: 'assigned', attempt: 2, ownRequeues: 0, infraRequeues: 1 });
    const instances = await instancesTagged(moto, TAG_JOB_ID, job.jobId);
    expect(instances.map((i) => [i.InstanceType, i.InstanceLifecycle ?? 'on-demand'])).toEqual([
      ['c7g.large', 'on-demand'],
    ]);

    const why = await world.explain(job.jobId);
    expect(why.detours).toEqual([
      expect.stringMatching(
        /^spot capacity error for c7g\.large, m7g\.large at \d\d:\d\d:\d\d: InsufficientInstanceCapacity: .*; fell back to on-demand$/,
      ),
      expect.stringMatching(/^requeued at .* \(attempt 1\): launch-capacity: capacity: InsufficientInstanceCapacity/),
    ]);
    expect(why.milestones.find((m) => m.name === 'machine launched')?.note).toMatch(/^c7g\.large on-demand/);
  });

  it('an unauthorized launch is called once and fails the job visibly, with the reason', async () => {
    simulated = withoutSpotCapacity(moto, new Set());
    simulated.mock.on(CreateFleetCommand).callsFake(async (input) => {
      simulated?.fleets.push(input);
      throw new EC2ServiceException({
        name: 'UnauthorizedOperation',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'You are not authorized to perform this operation.',
      });
    });
    const world = worldOn(simulated.client);
    const job = nextJob();

    await world.queued(job);
    await world.settle();

    expect(simulated.fleets).toHaveLength(1);
    expect(world.models.job(job.jobId)).toMatchObject({
      status: 'failed',
      failure: { reason: 'launch-refused', message: expect.stringContaining('UnauthorizedOperation') },
    });
    const why = await world.explain(job.jobId);
    expect(why.summary).toMatch(/: failed/);
    expect(why.detours).toContainEqual(expect.stringMatching(/^spot unauthorized error for c7g\.large, m7g\.large/));
    expect(why.detours).toContainEqual(expect.stringMatching(/^failed at .*: launch-refused: UnauthorizedOperation/));
  });
});
