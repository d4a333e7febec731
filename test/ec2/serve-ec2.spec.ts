import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TAG_JOB_ID } from '../../adapters/ec2/index.js';
import { createEc2Fixture, instancesTagged, tagsOf, type Ec2Fixture } from '../../adapters/ec2/testing.js';
import { stateChangeEvent } from '../../adapters/ec2-events/testing.js';
import { createSsmRunnerConfigStore } from '../../adapters/runner-config-ssm/index.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { jobPayload, pollUntil, waitForJob, webhookPoster } from '../e2e/e2e-helpers.js';
import { startServeWithApp, type ServeWithApp } from '../e2e/serve-with-app.js';
import { freshName, motoClients, motoReady } from '../harness/moto-client.js';

/**
 * `runs-fleet serve --compute ec2` end to end against moto (EC2, SSM, SQS) and the fake GitHub (real App auth): a
 * signed `queued` webhook makes an instance on moto, tagged for the job, whose runner config waits in SSM; GitHub's
 * `in_progress` and `completed` webhooks end it, and its config with it; an EventBridge state change on the events
 * queue reaches the machine's stream.
 */
const SECRET = 'ec2-e2e-webhook-secret-0123456789';
const DEADLINE_MS = 15_000;
const REPO_OWNER = 'Codertocat';

describe('[moto] [http] serve --compute ec2', () => {
  const { ec2, ssm, sqs } = motoClients();
  const savedEnv = { ...process.env };
  let fixture: Ec2Fixture;
  let served: ServeWithApp | undefined;
  let queueUrl: string;
  const prefix = `/${freshName('runs-fleet-serve')}`;

  beforeAll(async () => {
    // The service's own SDK clients take credentials from the environment, as in a container.
    process.env['AWS_ACCESS_KEY_ID'] = 'testing';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'testing';
    fixture = await createEc2Fixture(ec2);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: freshName('ec2-events') }))).QueueUrl ?? '';
    served = await startServeWithApp(
      {
        RUNS_FLEET_WEBHOOK_SECRET: SECRET,
        RUNS_FLEET_COMPUTE: 'ec2',
        RUNS_FLEET_AWS_REGION: 'us-east-1',
        RUNS_FLEET_AWS_ENDPOINT: await motoReady(),
        RUNS_FLEET_SUBNET_IDS: fixture.subnets.map((s) => s.subnetId).join(','),
        RUNS_FLEET_LAUNCH_TEMPLATE_NAME: fixture.launchTemplates.arm64.replace(/-arm64$/, ''),
        RUNS_FLEET_EVENTS_QUEUE_URL: queueUrl,
        RUNS_FLEET_TAGS: '{"Team":"ci"}',
        RUNS_FLEET_SECRETS_PATH_PREFIX: prefix,
      },
      REPO_OWNER,
    );
  }, 60_000);

  afterEach((context) => {
    if (context.task.result?.state === 'fail') process.stderr.write((served?.logs ?? []).join(''));
  });
  afterAll(async () => {
    await served?.close();
    process.env = savedEnv;
    ec2.destroy();
    ssm.destroy();
    sqs.destroy();
  });

  const stateOf = async (instanceId: string) => {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
  };

  it('a webhook job gets a spot instance on moto with its config in SSM; the job ends it and the config', async () => {
    if (served === undefined) throw new Error('not started');
    const { url } = served.service;
    const { github } = served;
    const jobId = 4_000_000_000 + Math.floor(Math.random() * 1_000_000);
    const webhook = webhookPoster(url, SECRET);
    const spec = 'cpu=2+2/arch=arm64/family=c7g+m7g/disk=30';

    expect((await webhook.post(jobPayload('queued', jobId, { spec }), `q-${jobId}`)).status).toBe(200);
    const assigned = await waitForJob(url, jobId, (j) => j?.status === 'assigned', DEADLINE_MS);
    expect(assigned?.status).toBe('assigned');
    const machineId = assigned?.machineId ?? '';

    const instances = await pollUntil(
      () => instancesTagged(ec2, TAG_JOB_ID, String(jobId)),
      (found: Instance[]) => found.length > 0,
      DEADLINE_MS,
    );
    expect(instances).toHaveLength(1);
    const [instance] = instances;
    expect(instance?.InstanceLifecycle).toBe('spot');
    expect(fixture.subnets.map((s) => s.subnetId)).toContain(instance?.SubnetId);
    expect(tagsOf(instance!)).toMatchObject({
      Team: 'ci',
      'runs-fleet:managed': 'true',
      'runs-fleet:machine-id': machineId,
      'runs-fleet:arch': 'arm64',
      'runs-fleet:label': `runs-fleet=${String(jobId + 1)}/${spec}`,
    });

    const configs = createSsmRunnerConfigStore({ client: ssm, prefix });
    const stored = await pollUntil(
      () => configs.get(machineId),
      (c) => c !== null,
      DEADLINE_MS,
    );
    expect(stored).toMatchObject({ machineId, runnerName: runnerNameFor(machineId), jobId: String(jobId) });
    expect(github.callsTo('generate-jitconfig')).toHaveLength(1);

    // EC2 says the instance runs (EventBridge → SQS → the events adapter → the machine's stream).
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(stateChangeEvent(instance?.InstanceId ?? '', 'running')),
      }),
    );
    const machine = async () => {
      const { machines } = (await (await fetch(`${url}/api/machines`)).json()) as {
        machines: Array<{ id: string; status: string; cloudId: string | null }>;
      };
      return machines.find((m) => m.id === machineId) ?? null;
    };
    const running = await pollUntil(machine, (m) => m?.status === 'running', DEADLINE_MS);
    expect(running).toMatchObject({ status: 'running', cloudId: instance?.InstanceId });

    const runner = { runner_name: runnerNameFor(machineId) };
    await webhook.post(jobPayload('in_progress', jobId, { spec, fields: runner }), `p-${jobId}`);
    await webhook.post(
      jobPayload('completed', jobId, { spec, fields: { ...runner, conclusion: 'success' } }),
      `c-${jobId}`,
    );
    expect((await waitForJob(url, jobId, (j) => j?.status === 'completed', DEADLINE_MS))?.status).toBe('completed');

    const ended = await pollUntil(
      () => stateOf(instance?.InstanceId ?? ''),
      (s) => s === 'terminated' || s === 'shutting-down',
      DEADLINE_MS,
    );
    expect(ended).toMatch(/terminated|shutting-down/);
    expect(
      await pollUntil(
        () => configs.get(machineId),
        (c) => c === null,
        DEADLINE_MS,
      ),
    ).toBeNull();
  });
});
