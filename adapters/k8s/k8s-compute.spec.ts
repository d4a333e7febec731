import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import * as E from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminKubeConfig, freshNamespace, setPodStatus } from '../../test/harness/kube-apiserver-client.js';
import { createK8sCompute, type K8sCompute } from './k8s-compute.js';
import { LABELS, MANAGED_SELECTOR, podNameFor, secretNameFor } from './names.js';
import { SPOT_MARKERS } from './placement.js';
import { createSecretRunnerConfigStore } from './secret-config-store.js';
import { createRunnerPodCommand, testPodConfig } from './testing.js';

const ACCEPTANCE_LABEL = 'runs-fleet/cpu=4/ram=16/arch=arm64/disk=50/backend=k8s';

describe('[kube-apiserver] Kubernetes compute adapter', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    kc = await adminKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
  });

  const computeIn = (namespace: string, config: KubeConfig = kc): K8sCompute =>
    createK8sCompute({ kubeConfig: config, pod: testPodConfig(namespace) });

  const podsIn = async (namespace: string) =>
    (await core.listNamespacedPod({ namespace, labelSelector: MANAGED_SELECTOR })).items;

  it('creates one pod whose requests, node selector, tolerations and ephemeral storage match the label', async () => {
    const namespace = await freshNamespace('k8s-launch');
    const command = createRunnerPodCommand({ label: ACCEPTANCE_LABEL });
    expect(command.type).toBe('CreateRunnerPod');

    const launched = await computeIn(namespace).launch(command);

    expect(launched).toEqual(
      E.right({
        cloudId: podNameFor(command.data.machineId),
        instanceType: null,
        capacity: 'spot',
        zone: null,
        pricePerHour: null,
      }),
    );
    const pods = await podsIn(namespace);
    expect(pods).toHaveLength(1);
    const pod = pods[0];
    const runner = pod?.spec?.containers.find((c) => c.name === 'runner');
    expect(runner?.resources?.requests).toEqual({ cpu: '4', memory: '16Gi', 'ephemeral-storage': '50Gi' });
    expect(runner?.resources?.limits).toEqual({ memory: '16Gi', 'ephemeral-storage': '50Gi' });
    expect(pod?.spec?.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64' });
    // The API server's admission may add its own (not-ready/unreachable NoExecute): ours must all be there.
    for (const m of SPOT_MARKERS) {
      expect(pod?.spec?.tolerations).toContainEqual({
        key: m.key,
        operator: 'Equal',
        value: m.value,
        effect: 'NoSchedule',
      });
    }
    expect(pod?.metadata?.labels).toMatchObject({
      [LABELS.managed]: 'true',
      [LABELS.machineId]: command.data.machineId,
      [LABELS.commandId]: command.commandId,
      [LABELS.jobId]: '4242',
      [LABELS.arch]: 'arm64',
    });
  });

  it('leaves one pod when the same command is carried out twice, and from two workers at once', async () => {
    const namespace = await freshNamespace('k8s-idempotent');
    const command = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '5150' });
    const first = await computeIn(namespace).launch(command);
    const again = await computeIn(namespace).launch(command);
    expect(again).toEqual(first);

    const other = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '5151' });
    // Two workers, each with its own client and connection, race on the same command.
    const workerA = computeIn(namespace, await adminKubeConfig());
    const workerB = computeIn(namespace, await adminKubeConfig());
    const [a, b] = await Promise.all([workerA.launch(other), workerB.launch(other)]);

    expect(E.isRight(a) && E.isRight(b)).toBe(true);
    expect(a).toEqual(b);
    const names = (await podsIn(namespace)).map((p) => p.metadata?.name).sort();
    expect(names).toEqual([podNameFor(command.data.machineId), podNameFor(other.data.machineId)].sort());
  });

  it('finds a pod by its commandId, and nothing for another command', async () => {
    const namespace = await freshNamespace('k8s-find');
    const compute = computeIn(namespace);
    const command = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '6001' });
    expect(await compute.findByCommandId(command.commandId)).toBeNull();

    await compute.launch(command);

    expect(await compute.findByCommandId(command.commandId)).toMatchObject({
      cloudId: podNameFor(command.data.machineId),
      capacity: 'spot',
    });
    const unrelated = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '6002' });
    expect(await compute.findByCommandId(unrelated.commandId)).toBeNull();
  });

  it('terminates by deleting the pod and its runner-config Secret; terminating again succeeds', async () => {
    const namespace = await freshNamespace('k8s-terminate');
    const compute = computeIn(namespace);
    const configs = createSecretRunnerConfigStore({ kubeConfig: kc, namespace });
    const command = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '7001' });
    const { machineId } = command.data;
    await compute.launch(command);
    await configs.put({
      machineId,
      runnerName: command.data.request.runnerName,
      labels: [command.data.request.label],
      repo: 'acme/widgets',
      jobId: '7001',
      encodedJitConfig: 'c2VjcmV0',
    });
    expect(await configs.get(machineId)).not.toBeNull();

    await compute.terminate([machineId], 'job-completed');

    // The pod was never bound to a node, so the API server deletes it at once (no kubelet to confirm).
    expect(await podsIn(namespace)).toEqual([]);
    await expect(core.readNamespacedSecret({ name: secretNameFor(machineId), namespace })).rejects.toMatchObject({
      code: 404,
    });
    expect(await configs.get(machineId)).toBeNull();
    await expect(compute.terminate([machineId], 'job-completed')).resolves.toBeUndefined();
    expect(await compute.findByCommandId(command.commandId)).toBeNull();
  });

  it('leaves alone a pod of the same name that it did not create', async () => {
    const namespace = await freshNamespace('k8s-foreign');
    const command = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '8001' });
    const name = podNameFor(command.data.machineId);
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name }, spec: { containers: [{ name: 'other', image: 'busybox' }] } },
    });

    const launched = await computeIn(namespace).launch(command);
    await computeIn(namespace).terminate([command.data.machineId], 'cleanup');

    expect(E.isLeft(launched) && launched.left.errorClass).toBe('invalid');
    expect((await core.readNamespacedPod({ name, namespace })).metadata?.name).toBe(name);
  });

  it('reports a namespace quota refusal as a capacity failure', async () => {
    const namespace = await freshNamespace('k8s-quota');
    const quota = await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } },
    });
    // Playing the controller-manager: admission enforces a quota only once its usage has been counted.
    await core.replaceNamespacedResourceQuotaStatus({
      name: 'no-pods',
      namespace,
      body: { ...quota, status: { hard: { pods: '0' }, used: { pods: '0' } } },
    });

    const launched = await computeIn(namespace).launch(createRunnerPodCommand({ label: ACCEPTANCE_LABEL }));

    expect(E.isLeft(launched) && launched.left.errorClass).toBe('capacity');
    expect(E.isLeft(launched) && launched.left.message).toMatch(/exceeded quota/);
  });

  it('resolves start and stop without touching pods (pods are never stopped)', async () => {
    const namespace = await freshNamespace('k8s-start-stop');
    const compute = computeIn(namespace);
    const command = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '9001' });
    await compute.launch(command);

    await compute.stop([command.data.machineId]);
    await compute.start([command.data.machineId]);

    expect((await podsIn(namespace)).map((p) => p.metadata?.deletionTimestamp)).toEqual([undefined]);
  });

  it('lists its live runner pods for housekeeping, and nothing finished or not its own', async () => {
    const namespace = await freshNamespace('k8s-list');
    const compute = computeIn(namespace);
    const pending = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '9101' });
    const running = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '9102' });
    const finished = createRunnerPodCommand({ label: ACCEPTANCE_LABEL, jobId: '9103' });
    for (const c of [pending, running, finished]) await compute.launch(c);
    await setPodStatus(kc, namespace, podNameFor(running.data.machineId), { phase: 'Running' });
    await setPodStatus(kc, namespace, podNameFor(finished.data.machineId), { phase: 'Succeeded' });
    await core.createNamespacedPod({
      namespace,
      body: { metadata: { name: 'not-ours' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    });

    const listed = await compute.listManaged();

    expect(listed.map(({ machineId, cloudId, state }) => ({ machineId, cloudId, state }))).toEqual(
      expect.arrayContaining([
        { machineId: pending.data.machineId, cloudId: podNameFor(pending.data.machineId), state: 'pending' },
        { machineId: running.data.machineId, cloudId: podNameFor(running.data.machineId), state: 'running' },
      ]),
    );
    expect(listed).toHaveLength(2);
    expect(Number.isNaN(Date.parse(listed[0]?.launchedAt ?? ''))).toBe(false);
  });
});
