import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunnerConfig } from '../../domain/ports/runner-config-store.js';
import { adminKubeConfig, freshNamespace } from '../../test/harness/kube-apiserver-client.js';
import { createK8sCompute } from './k8s-compute.js';
import { podNameFor, secretNameFor } from './names.js';
import { createSecretRunnerConfigStore } from './secret-config-store.js';
import { createRunnerPodCommand, testPodConfig } from './testing.js';

const configFor = (machineId: string, jit = 'aml0LWNvbmZpZw=='): RunnerConfig => ({
  machineId,
  runnerName: `runs-fleet-${machineId}`,
  labels: ['runs-fleet/cpu=2/backend=k8s'],
  repo: 'acme/widgets',
  jobId: '31337',
  encodedJitConfig: jit,
});

describe('[kube-apiserver] runner-config store on Secrets', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    kc = await adminKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
  });

  it('stores a config in a Secret named from the machine, returns its reference, and reads it back', async () => {
    const namespace = await freshNamespace('secrets-roundtrip');
    const store = createSecretRunnerConfigStore({ kubeConfig: kc, namespace });
    const machineId = createRunnerPodCommand({ label: 'runs-fleet/cpu=2/backend=k8s' }).data.machineId;

    const ref = await store.put(configFor(machineId));

    expect(ref).toBe(`k8s-secret:${namespace}/${secretNameFor(machineId)}`);
    expect(await store.get(machineId)).toEqual(configFor(machineId));
    const secret = await core.readNamespacedSecret({ name: secretNameFor(machineId), namespace });
    expect(secret.type).toBe('Opaque');
    // The JIT config is nowhere in the Secret's metadata, only in its data.
    expect(JSON.stringify(secret.metadata)).not.toContain('aml0LWNvbmZpZw==');
  });

  it('replaces a config written again, and reads nothing for a machine without one', async () => {
    const namespace = await freshNamespace('secrets-replace');
    const store = createSecretRunnerConfigStore({ kubeConfig: kc, namespace });
    const machineId = createRunnerPodCommand({ label: 'runs-fleet/cpu=2/backend=k8s', jobId: '2' }).data.machineId;
    await store.put(configFor(machineId, 'Zmlyc3Q='));

    await store.put(configFor(machineId, 'c2Vjb25k'));

    expect((await store.get(machineId))?.encodedJitConfig).toBe('c2Vjb25k');
    expect(await store.get('nothinghere')).toBeNull();
  });

  it('deletes a config, and deleting an absent one succeeds', async () => {
    const namespace = await freshNamespace('secrets-delete');
    const store = createSecretRunnerConfigStore({ kubeConfig: kc, namespace });
    const machineId = createRunnerPodCommand({ label: 'runs-fleet/cpu=2/backend=k8s', jobId: '3' }).data.machineId;
    await store.put(configFor(machineId));

    await store.delete(machineId);
    await store.delete(machineId);

    expect(await store.get(machineId)).toBeNull();
  });

  it("makes the machine's pod the Secret's owner, so the cluster collects it with the pod", async () => {
    const namespace = await freshNamespace('secrets-owner');
    const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=2/backend=k8s', jobId: '4' });
    const { machineId } = command.data;
    await createK8sCompute({ kubeConfig: kc, pod: testPodConfig(namespace) }).launch(command);
    const pod = await core.readNamespacedPod({ name: podNameFor(machineId), namespace });

    await createSecretRunnerConfigStore({ kubeConfig: kc, namespace }).put(configFor(machineId));

    const secret = await core.readNamespacedSecret({ name: secretNameFor(machineId), namespace });
    expect(secret.metadata?.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: podNameFor(machineId), uid: pod.metadata?.uid },
    ]);
  });
});
