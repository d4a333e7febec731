import { CoreV1Api, type KubeConfig, type V1OwnerReference, type V1Secret } from '@kubernetes/client-node';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { RunnerConfig, RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import { isAlreadyExists, isNotFound } from './errors.js';
import { LABELS, podNameFor, secretNameFor } from './names.js';
import { RUNNER_CONFIG_KEY } from './runner-pod.js';

/**
 * The runner-config store on Kubernetes (DESIGN section 1): one Secret per machine, `runs-fleet-config-<machineId>`,
 * holding the config as `config.json`; the runner pod mounts it read-only. Events carry only the reference
 * `k8s-secret:<namespace>/<name>`.
 *
 * The Secret is owned by its pod (an owner reference, when the pod exists when the config is written), so the
 * cluster's garbage collector removes it with the pod even if nobody calls `delete`; the compute adapter deletes it
 * explicitly as well.
 */
export const SECRET_REF_PREFIX = 'k8s-secret:';

export interface SecretConfigStoreOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
}

const StoredConfig = t.type({
  machineId: t.string,
  runnerName: t.string,
  labels: t.array(t.string),
  repo: t.union([t.string, t.null]),
  jobId: t.union([t.string, t.null]),
  encodedJitConfig: t.string,
});

export const secretRef = (namespace: string, machineId: string): string =>
  `${SECRET_REF_PREFIX}${namespace}/${secretNameFor(machineId)}`;

export const createSecretRunnerConfigStore = (options: SecretConfigStoreOptions): RunnerConfigStore => {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const { namespace } = options;

  const ownerOf = async (machineId: string): Promise<V1OwnerReference[]> => {
    try {
      const pod = await core.readNamespacedPod({ name: podNameFor(machineId), namespace });
      const uid = pod.metadata?.uid;

      return uid === undefined ? [] : [{ apiVersion: 'v1', kind: 'Pod', name: podNameFor(machineId), uid }];
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  };

  const secretFor = async (config: RunnerConfig): Promise<V1Secret> => ({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretNameFor(config.machineId),
      namespace,
      labels: {
        [LABELS.managed]: 'true',
        [LABELS.machineId]: config.machineId,
        [LABELS.managedBy]: 'runs-fleet',
        [LABELS.component]: 'runner-config',
      },
      ownerReferences: await ownerOf(config.machineId),
    },
    data: {
      [RUNNER_CONFIG_KEY]: Buffer.from(JSON.stringify({ ...config, labels: [...config.labels] })).toString('base64'),
    },
  });

  const put = async (config: RunnerConfig): Promise<string> => {
    const body = await secretFor(config);
    const name = secretNameFor(config.machineId);
    try {
      await core.createNamespacedSecret({ namespace, body });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      // Writing the same machine's config again replaces it (the port's contract).
      await core.replaceNamespacedSecret({ name, namespace, body });
    }

    return secretRef(namespace, config.machineId);
  };

  const get = async (machineId: string): Promise<RunnerConfig | null> => {
    let secret: V1Secret;
    try {
      secret = await core.readNamespacedSecret({ name: secretNameFor(machineId), namespace });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const raw = secret.data?.[RUNNER_CONFIG_KEY];
    if (raw === undefined) return null;
    const decoded = StoredConfig.decode(JSON.parse(Buffer.from(raw, 'base64').toString('utf8')));
    if (E.isLeft(decoded)) throw new Error(`Secret ${secretNameFor(machineId)}: not a runner config`);

    return decoded.right;
  };

  const remove = async (machineId: string): Promise<void> => {
    try {
      await core.deleteNamespacedSecret({ name: secretNameFor(machineId), namespace });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  };

  return { put, get, delete: remove };
};
