/**
 * For test files (inside vitest only: it reads the addresses the global setup provided). Node-only code imports
 * `kube-apiserver.ts` instead.
 *
 * Importing this module is how a test file says it needs the API server: the import asks the harness to start it (in
 * the background, once per run) and registers a file-level `beforeAll` that waits for it, so no test spends its own
 * timeout on the start. Each test takes a fresh namespace (`freshNamespace`): the server is shared by the whole run.
 */
import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1PodCondition,
  type V1PodStatus,
} from '@kubernetes/client-node';
import { beforeAll, inject } from 'vitest';
import { askEmulator } from './emulator-process.js';
import { readKubeHarnessInfo, type KubeHarnessInfo } from './kube-apiserver.js';

export type { KubeHarnessInfo } from './kube-apiserver.js';

let ready: Promise<KubeHarnessInfo> | undefined;

/** Resolves with this run's API server (address, CA, admin token, kubeconfig) once it is ready. */
export const kubeReady = (): Promise<KubeHarnessInfo> =>
  (ready ??= askEmulator('kube-apiserver', inject('kubeControl')).then(() =>
    readKubeHarnessInfo(inject('kubeHarnessDir')),
  ));

// Start it now (while the file's other imports load) and wait for it before the file's first test.
kubeReady().catch(() => undefined);
beforeAll(async () => {
  await kubeReady();
}, 180_000);

const configFor = (info: KubeHarnessInfo, user: { name: string; token: string }, namespace: string): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'harness', server: info.server, caFile: info.caFile, skipTLSVerify: false }],
    users: [user],
    contexts: [{ name: 'harness', cluster: 'harness', user: user.name, namespace }],
    currentContext: 'harness',
  });

  return kc;
};

/** A KubeConfig for the harness admin (`system:masters`), optionally pointed at another address (a proxy). */
export const adminKubeConfig = async (options: { server?: string; namespace?: string } = {}): Promise<KubeConfig> => {
  const info = await kubeReady();

  return configFor(
    { ...info, server: options.server ?? info.server },
    { name: 'admin', token: info.adminToken },
    options.namespace ?? 'default',
  );
};

/** A KubeConfig that authenticates with a bearer token (a service account's, from the TokenRequest API). */
export const tokenKubeConfig = async (token: string, namespace: string): Promise<KubeConfig> =>
  configFor(await kubeReady(), { name: 'token', token }, namespace);

/** A namespace no other test uses: `<prefix>-<random>`. Nothing deletes it (no namespace controller runs). */
export const freshNamespace = async (prefix: string): Promise<string> => {
  const core = (await adminKubeConfig()).makeApiClient(CoreV1Api);
  const suffix = `-${randomBytes(4).toString('hex')}`;
  const name = `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63 - suffix.length)}${suffix}`;
  await core.createNamespace({ body: { metadata: { name } } });

  return name;
};

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Plays the kubelet: writes a pod's status through the status subresource (merge patch). `conditions` replace the
 * pod's list as a whole, as a merge patch does with lists.
 */
export const setPodStatus = async (
  kc: KubeConfig,
  namespace: string,
  name: string,
  status: Partial<Pick<V1PodStatus, 'phase' | 'reason' | 'message' | 'containerStatuses'>> & {
    conditions?: ReadonlyArray<V1PodCondition>;
  },
): Promise<V1Pod> =>
  kc.makeApiClient(CoreV1Api).patchNamespacedPodStatus({ name, namespace, body: { status } }, mergePatch);

/** A pod condition as the kubelet or a controller writes it. */
export const podCondition = (type: string, status: 'True' | 'False', reason: string, message = ''): V1PodCondition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: new Date(),
});

/** Compacts etcd at its current revision: every older resourceVersion expires (a watch from it gets 410 Gone). */
export const compactEtcd = async (): Promise<number> => {
  const { etcd } = await kubeReady();
  const post = async (path: string, body: object): Promise<unknown> => {
    const res = await fetch(`${etcd}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);

    return res.json();
  };
  const status = (await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') })) as {
    header: { revision: string };
  };
  const revision = Number(status.header.revision);
  await post('/v3/kv/compaction', { revision: String(revision), physical: true });

  return revision;
};
