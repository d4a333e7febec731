import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TAG_JOB_ID } from '../../adapters/ec2/index.js';
import { createEc2Fixture, instancesTagged, type Ec2Fixture } from '../../adapters/ec2/testing.js';
import { podNameFor, secretNameFor } from '../../adapters/k8s/index.js';
import { createSsmRunnerConfigStore } from '../../adapters/runner-config-ssm/index.js';
import { jobPayload, pollUntil, waitForJob, webhookPoster } from '../e2e/e2e-helpers.js';
import { startServeWithApp, type ServeWithApp } from '../e2e/serve-with-app.js';
import { adminKubeConfig, freshNamespace, kubeReady } from '../harness/kube-apiserver-client.js';
import { freshName, motoClients, motoReady } from '../harness/moto-client.js';

/**
 * `runs-fleet serve --compute ec2+k8s` end to end: one service, two backends. A job labelled `backend=k8s` gets a
 * runner pod on the real kube-apiserver (its runner config in a Secret beside it); a job without gets an EC2 instance
 * on moto (its config in SSM). The fake GitHub (real App auth) issues the JIT configs.
 */
const SECRET = 'k8s-e2e-webhook-secret-0123456789';
const DEADLINE_MS = 20_000;
const REPO_OWNER = 'Codertocat';

describe('[kube-apiserver] [moto] [http] serve --compute ec2+k8s', () => {
  const { ec2, ssm } = motoClients();
  const savedEnv = { ...process.env };
  let fixture: Ec2Fixture;
  let namespace: string;
  let served: ServeWithApp | undefined;
  const prefix = `/${freshName('runs-fleet-serve-k8s')}`;

  beforeAll(async () => {
    process.env['AWS_ACCESS_KEY_ID'] = 'testing';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'testing';
    fixture = await createEc2Fixture(ec2);
    namespace = await freshNamespace('serve');
    served = await startServeWithApp(
      {
        RUNS_FLEET_WEBHOOK_SECRET: SECRET,
        RUNS_FLEET_COMPUTE: 'ec2+k8s',
        RUNS_FLEET_AWS_REGION: 'us-east-1',
        RUNS_FLEET_AWS_ENDPOINT: await motoReady(),
        RUNS_FLEET_SUBNET_IDS: fixture.subnets.map((s) => s.subnetId).join(','),
        RUNS_FLEET_LAUNCH_TEMPLATE_NAME: fixture.launchTemplates.arm64.replace(/-arm64$/, ''),
        RUNS_FLEET_SECRETS_PATH_PREFIX: prefix,
        RUNS_FLEET_K8S_RUNNER_IMAGE: 'ghcr.io/runs-fleet/runner:test',
        RUNS_FLEET_K8S_NAMESPACE: namespace,
        RUNS_FLEET_K8S_KUBECONFIG: (await kubeReady()).kubeconfig,
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
  });

  it('a backend=k8s job gets a pod with its config in a Secret; a job without gets an EC2 instance', async () => {
    if (served === undefined) throw new Error('not started');
    const { url } = served.service;
    const webhook = webhookPoster(url, SECRET);
    const podJob = 4_100_000_000 + Math.floor(Math.random() * 1_000_000);
    const ec2Job = podJob + 10;

    expect(
      (await webhook.post(jobPayload('queued', podJob, { spec: 'cpu=2/arch=arm64/backend=k8s' }), `q-${podJob}`))
        .status,
    ).toBe(200);
    expect((await webhook.post(jobPayload('queued', ec2Job, { spec: 'cpu=2/arch=arm64' }), `q-${ec2Job}`)).status).toBe(
      200,
    );

    const onPod = await waitForJob(url, podJob, (j) => j?.status === 'assigned', DEADLINE_MS);
    expect(onPod?.status).toBe('assigned');
    const podMachine = onPod?.machineId ?? '';
    const core = (await adminKubeConfig()).makeApiClient(CoreV1Api);
    const pod = await core.readNamespacedPod({ name: podNameFor(podMachine), namespace });
    expect(pod.spec?.nodeSelector).toMatchObject({ 'kubernetes.io/arch': 'arm64' });
    const secret = await pollUntil(
      () => core.readNamespacedSecret({ name: secretNameFor(podMachine), namespace }).catch(() => null),
      (s) => s !== null,
      DEADLINE_MS,
    );
    expect(secret?.metadata?.name).toBe(secretNameFor(podMachine));
    expect(await instancesTagged(ec2, TAG_JOB_ID, String(podJob))).toEqual([]);

    const onEc2 = await waitForJob(url, ec2Job, (j) => j?.status === 'assigned', DEADLINE_MS);
    const ec2Machine = onEc2?.machineId ?? '';
    const instances = await pollUntil(
      () => instancesTagged(ec2, TAG_JOB_ID, String(ec2Job)),
      (found) => found.length > 0,
      DEADLINE_MS,
    );
    expect(instances).toHaveLength(1);
    const configs = createSsmRunnerConfigStore({ client: ssm, prefix });
    const stored = await pollUntil(
      () => configs.get(ec2Machine),
      (c) => c !== null,
      DEADLINE_MS,
    );
    expect(stored?.machineId).toBe(ec2Machine);
    expect(await configs.get(podMachine)).toBeNull();
    expect((await core.listNamespacedPod({ namespace })).items.map((p) => p.metadata?.name)).toEqual([
      podNameFor(podMachine),
    ]);
  });
});
