import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEc2Compute, createInstanceMachines, TAG_JOB_ID } from '../../adapters/ec2/index.js';
import { createEc2Fixture, instancesTagged, type Ec2Fixture } from '../../adapters/ec2/testing.js';
import { createEc2EventsPoller, type Ec2EventsPoller } from '../../adapters/ec2-events/index.js';
import { spotInterruptionEvent, stateChangeEvent } from '../../adapters/ec2-events/testing.js';
import { createSsmRunnerConfigStore, type SsmRunnerConfigStore } from '../../adapters/runner-config-ssm/index.js';
import type { ProvisionCommand } from '../../domain/commands/commands.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import { recorderWithCleanup } from '../../handlers/serve/ec2-composition.js';
import { freshName, motoClients } from '../harness/moto-client.js';
import { createEc2World, type Ec2World, type JobInput } from './ec2-world.js';

/**
 * Issue 5, acceptance 5 and scope item 3, through the real parts: instances on moto's EC2, runner configs in moto's
 * SSM, EventBridge events in moto's SQS read by the EC2 events adapter (instance → machine through our tags), the
 * observation recorder, the pipeline and its rules, and a fake GitHub that concludes the job failed.
 */
const LABEL = 'runs-fleet=9000/cpu=2+2/arch=arm64/family=c7g+m7g';

describe('[moto] spot interruption end to end', () => {
  const { ec2, ssm, sqs } = motoClients();
  let fixture: Ec2Fixture;
  let queueUrl: string;
  let seq = 0;

  beforeAll(async () => {
    fixture = await createEc2Fixture(ec2);
  });
  afterAll(() => {
    ec2.destroy();
    ssm.destroy();
    sqs.destroy();
  });

  interface Setup {
    readonly world: Ec2World;
    readonly configs: SsmRunnerConfigStore;
    readonly poller: Ec2EventsPoller;
  }

  const setup = async (): Promise<Setup> => {
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: freshName('ec2-events') }));
    queueUrl = queue.QueueUrl ?? '';
    const configs = createSsmRunnerConfigStore({ client: ssm, prefix: `/${freshName('runs-fleet-spot')}` });
    const compute = createEc2Compute({
      client: ec2,
      subnets: fixture.subnets.map((s) => s.subnetId),
      launchTemplates: fixture.launchTemplates,
    });
    const world = createEc2World(compute, configs);
    const poller = createEc2EventsPoller({
      sqs,
      queueUrl,
      waitTimeSeconds: 0,
      machinesOf: createInstanceMachines({ client: ec2, now: Date.now }),
      report: recorderWithCleanup(world.record, configs),
    });

    return { world, configs, poller };
  };

  /** EventBridge puts the event into the queue; the adapter reads until the queue is empty. */
  const deliver = async (poller: Ec2EventsPoller, ...events: unknown[]) => {
    for (const event of events)
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(event) }));
    let recorded = 0;
    for (let received = -1; received !== 0;) {
      const summary = await poller.pollOnce();
      received = summary.received;
      recorded += summary.recorded;
    }
    return recorded;
  };

  const nextJob = (): JobInput => ({ jobId: `${Date.now()}${(seq += 1)}`, labels: [LABEL] });
  const launches = (world: Ec2World, jobId: string) =>
    world.dispatched.filter((c): c is ProvisionCommand => c.type === 'LaunchMachine' && c.data.request.jobId === jobId);
  const cloudIdOf = (world: Ec2World, job: JobInput) =>
    world.models.machine(world.models.job(job.jobId)?.machineId ?? '')?.cloudId ?? '';

  it('a warning before the job started: requeued on-demand at once, the reclaimed machine ended, its config gone', async () => {
    const { world, configs, poller } = await setup();
    const job = nextJob();
    await world.queued(job);
    await world.settle();
    const first = world.models.job(job.jobId)?.machineId ?? '';
    const instanceId = cloudIdOf(world, job);
    expect(await configs.get(first)).not.toBeNull();

    expect(await deliver(poller, spotInterruptionEvent(instanceId))).toBe(1);
    await world.settle();

    expect(launches(world, job.jobId).map((c) => c.data.request.capacity)).toEqual(['spot', 'on-demand']);
    expect(world.models.job(job.jobId)).toMatchObject({ status: 'assigned', attempt: 2, infraRequeues: 1 });
    const onMoto = await instancesTagged(ec2, TAG_JOB_ID, job.jobId, false);
    const live = onMoto.filter((i) => i.State?.Name === 'running' || i.State?.Name === 'pending');
    expect(live.map((i) => i.InstanceLifecycle ?? 'on-demand')).toEqual(['on-demand']);
    expect(world.models.machine(first)?.status).toBe('terminated');
    expect(await configs.get(first)).toBeNull();
    // The breaker counted the interruption of the primary type.
    expect(world.models.breaker['c7g.large']).toHaveLength(1);

    // EC2 then says the instance terminated: reported, but the machine's stream already says so.
    const before = (await world.store.read(machineStreamId(first))).length;
    expect(await deliver(poller, stateChangeEvent(instanceId, 'terminated'))).toBe(1);
    expect(await world.store.read(machineStreamId(first))).toHaveLength(before);
    const why = await world.explain(job.jobId);
    expect(why.detours).toContainEqual(expect.stringMatching(/^spot-interruption warning for i-/));
    expect(why.detours).toContainEqual(expect.stringMatching(/requeued .*: spot-interruption: /));
  });

  it('a warning while the job runs, GitHub concludes failure: exactly one re-run, counted by the breaker', async () => {
    const { world, configs, poller } = await setup();
    const job = nextJob();
    await world.queued(job);
    await world.settle();
    const machineId = world.models.job(job.jobId)?.machineId ?? '';
    const instanceId = cloudIdOf(world, job);
    await world.started(job, runnerNameFor(machineId));
    await world.settle();

    // EventBridge delivers at least once: the same warning twice.
    const warning = spotInterruptionEvent(instanceId);
    await deliver(poller, warning, warning);
    await world.settle();
    expect(world.models.job(job.jobId)).toMatchObject({ status: 'running', runnerLost: true });

    // GitHub concludes the job failed (its runner died); the webhook comes twice as well.
    await world.completed(job, 'failure', runnerNameFor(machineId));
    await world.completed(job, 'failure', runnerNameFor(machineId));
    await world.settle();
    await deliver(poller, stateChangeEvent(instanceId, 'shutting-down'), stateChangeEvent(instanceId, 'terminated'));
    await world.settle();

    expect(world.dispatched.filter((c) => c.type === 'RerunJob')).toHaveLength(1);
    expect(world.github.reruns).toEqual([job.jobId]);
    expect(world.models.job(job.jobId)).toMatchObject({ status: 'completed', rerunRequested: true });
    expect(world.models.breaker['c7g.large']).toHaveLength(1);
    expect(world.models.machine(machineId)?.status).toBe('terminated');
    expect(await configs.get(machineId)).toBeNull();
    const why = await world.explain(job.jobId);
    expect(why.detours).toContainEqual(expect.stringMatching(/^runner lost at .* \(attempt 1\): spot-interruption$/));
  });

  it('three interruptions of a type within 15 minutes open its breaker: the next job launches on-demand', async () => {
    const { world, poller } = await setup();
    for (let i = 0; i < 3; i++) {
      const job = nextJob();
      await world.queued(job);
      await world.settle();
      await deliver(poller, spotInterruptionEvent(cloudIdOf(world, job)));
      await world.settle();
      world.clock.advance(4 * 60_000);
    }
    const next = nextJob();
    await world.queued(next);
    await world.settle();

    expect(launches(world, next.jobId).map((c) => c.data.request.capacity)).toEqual(['on-demand']);
    const [instance] = await instancesTagged(ec2, TAG_JOB_ID, next.jobId);
    expect(instance?.InstanceLifecycle ?? 'on-demand').toBe('on-demand');
  });
});
