import { readFile } from 'node:fs/promises';
import {
  AuthorizationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import * as E from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Observation } from '../../domain/machine/machine-decide.js';
import {
  adminKubeConfig,
  freshNamespace,
  setPodStatus,
  tokenKubeConfig,
} from '../../test/harness/kube-apiserver-client.js';
import { createK8sCompute } from './k8s-compute.js';
import { podNameFor } from './names.js';
import { parsePodTemplate } from './pod-template.js';
import { createPodWatch } from './pod-watch.js';
import { buildRunnerPod } from './runner-pod.js';
import { createSecretRunnerConfigStore } from './secret-config-store.js';
import { createRunnerPodCommand, testPodConfig } from './testing.js';

const manifests = async (file: string): Promise<KubernetesObject[]> =>
  parseAllDocuments(await readFile(new URL(`../../infra/k8s/${file}`, import.meta.url), 'utf8'))
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);

const inNamespace = (o: KubernetesObject, namespace: string): KubernetesObject => ({
  ...o,
  metadata: { ...o.metadata, namespace },
});

describe('[kube-apiserver] infra/k8s manifests', () => {
  let admin: KubeConfig;

  beforeAll(async () => {
    admin = await adminKubeConfig();
  });

  /** Creates the manifests in `namespace` (cluster-scoped ones once), as `kubectl apply -k` would. */
  const apply = async (objects: ReadonlyArray<KubernetesObject>, namespace: string): Promise<void> => {
    const client = KubernetesObjectApi.makeApiClient(admin);
    for (const o of objects) {
      const clusterScoped = o.kind === 'PriorityClass';
      try {
        await client.create(clusterScoped ? o : inNamespace(o, namespace));
      } catch (e) {
        if (!(clusterScoped && (e as { code?: number }).code === 409)) throw e;
      }
    }
  };

  /** A token for the manifests' service account, once RBAC has taken its binding in. */
  const serviceAccountConfig = async (namespace: string): Promise<KubeConfig> => {
    const core = admin.makeApiClient(CoreV1Api);
    const request = await core.createNamespacedServiceAccountToken({
      name: 'runs-fleet',
      namespace,
      body: { spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600 } },
    });
    const kc = await tokenKubeConfig(request.status?.token ?? '', namespace);
    const authz = kc.makeApiClient(AuthorizationV1Api);
    await vi.waitFor(async () => {
      const review = await authz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace, verb: 'create', resource: 'pods' } } },
      });
      expect(review.status?.allowed).toBe(true);
    });

    return kc;
  };

  it('the minimal Role lets the adapter launch, watch, store configs and terminate, and nothing more', async () => {
    const namespace = await freshNamespace('rbac');
    await apply(await manifests('rbac.yaml'), namespace);
    const kc = await serviceAccountConfig(namespace);
    const compute = createK8sCompute({ kubeConfig: kc, pod: testPodConfig(namespace) });
    const configs = createSecretRunnerConfigStore({ kubeConfig: kc, namespace });
    const recorded: Observation[] = [];
    const watch = createPodWatch({
      kubeConfig: kc,
      namespace,
      report: async (_machineId, observation) => {
        recorded.push(observation);
      },
    });
    await watch.start();
    try {
      const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=2/arch=arm64/backend=k8s' });
      const { machineId } = command.data;
      const name = podNameFor(machineId);

      expect(E.isRight(await compute.launch(command))).toBe(true);
      expect(E.isRight(await compute.launch(command))).toBe(true); // AlreadyExists, then read back
      expect(await compute.findByCommandId(command.commandId)).toMatchObject({ cloudId: name });
      const config = {
        machineId,
        runnerName: command.data.request.runnerName,
        labels: [command.data.request.label],
        repo: 'acme/widgets',
        jobId: '4242',
        encodedJitConfig: 'Zmlyc3Q=',
      };
      await configs.put(config);
      await configs.put({ ...config, encodedJitConfig: 'c2Vjb25k' }); // a retry replaces it
      expect((await configs.get(machineId))?.encodedJitConfig).toBe('c2Vjb25k');
      await setPodStatus(await adminKubeConfig(), namespace, name, { phase: 'Running' });
      await vi.waitFor(() => expect(recorded).toHaveLength(1));

      await compute.terminate([machineId], 'job-completed');

      await vi.waitFor(() =>
        expect(recorded).toEqual([
          { type: 'MachineRunning', data: { cloudId: name } },
          { type: 'MachineTerminated', data: { cloudId: name, reason: 'job-completed' } },
        ]),
      );
      expect(await configs.get(machineId)).toBeNull();
    } finally {
      await watch.stop();
    }

    // Nothing beyond its namespace, and no enumerating of Secrets.
    const core = kc.makeApiClient(CoreV1Api);
    await expect(core.listNamespacedSecret({ namespace })).rejects.toMatchObject({ code: 403 });
    const elsewhere = await freshNamespace('rbac-elsewhere');
    await expect(core.listNamespacedPod({ namespace: elsewhere })).rejects.toMatchObject({ code: 403 });
    await expect(core.listNode()).rejects.toMatchObject({ code: 403 });
  });

  it('the Deployment, Service, volume claim, pod template ConfigMap and PriorityClass are accepted as written', async () => {
    const namespace = await freshNamespace('infra');
    const objects = [
      ...(await manifests('rbac.yaml')),
      ...(await manifests('pod-template.yaml')),
      ...(await manifests('deployment.yaml')),
    ];

    await apply(objects, namespace);

    const client = KubernetesObjectApi.makeApiClient(admin);
    const deployment = await client.read({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'runs-fleet', namespace },
    });
    expect(deployment.metadata?.name).toBe('runs-fleet');
  });

  it("the example pod template is valid, and its runner pod is accepted by the API server's admission", async () => {
    const namespace = await freshNamespace('infra-template');
    const configMap = (await manifests('pod-template.yaml')).find((o) => o.kind === 'ConfigMap') as
      (KubernetesObject & { data?: Record<string, string> }) | undefined;
    const parsed = parsePodTemplate(configMap?.data?.['pod-template.yaml'] ?? '', 'infra/k8s/pod-template.yaml');
    if (E.isLeft(parsed)) throw new Error(parsed.left);
    await apply(await manifests('pod-template.yaml'), namespace);
    const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=4/ram=16/arch=arm64/disk=50/backend=k8s' });

    const launched = await createK8sCompute({ kubeConfig: admin, pod: testPodConfig(namespace, parsed.right) }).launch(
      command,
    );

    expect(E.isLeft(launched) ? launched.left.message : 'launched').toBe('launched');
    const pod = await admin
      .makeApiClient(CoreV1Api)
      .readNamespacedPod({ name: podNameFor(command.data.machineId), namespace });
    // The Priority admission plugin resolved the class named by the template.
    expect(pod.spec?.priority).toBe(1000);
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['runner', 'dind']);
    expect(buildRunnerPod(command, testPodConfig(namespace, parsed.right)).spec?.priorityClassName).toBe(
      'runs-fleet-runner',
    );
  });
});
