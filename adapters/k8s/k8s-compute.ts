import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import * as E from 'fp-ts/lib/Either.js';
import type { CreateRunnerPod, ProvisionCommand } from '../../domain/commands/commands.js';
import type { ComputePort, LaunchedMachine, LaunchFailure, ManagedMachine } from '../../domain/ports/compute.js';
import { apiMessage, isAlreadyExists, isNotFound, launchErrorClass } from './errors.js';
import { ANNOTATIONS, LABELS, MANAGED_SELECTOR, podNameFor, secretNameFor } from './names.js';
import { buildRunnerPod, type RunnerPodConfig } from './runner-pod.js';

/**
 * The Kubernetes compute adapter: a `CreateRunnerPod` command becomes one pod in the configured namespace, named from
 * the machine id, so carrying the command out twice (a retry, two workers at once) leaves one pod: the second create
 * is answered AlreadyExists and reads the pod back. Terminating deletes the pod and its runner-config Secret.
 *
 * The pod's lifecycle after creation (running, finished, deleted, disrupted) is reported by the pod watch
 * (pod-watch.ts), not here.
 */
export interface K8sLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface K8sComputeOptions {
  readonly kubeConfig: KubeConfig;
  readonly pod: RunnerPodConfig;
  readonly logger?: K8sLogger;
}

export interface K8sCompute extends ComputePort {
  /**
   * No-ops that resolve: a pod cannot be stopped and started again like an EC2 instance (stopping is deleting), so
   * pools on Kubernetes keep no stopped members and never ask for this; answering instead of throwing keeps a shared
   * executor from failing a command that has nothing to do here.
   */
  stop(machineIds: ReadonlyArray<string>): Promise<void>;
  start(machineIds: ReadonlyArray<string>): Promise<void>;
  listManaged(): Promise<ReadonlyArray<ManagedMachine>>;
  readonly namespace: string;
}

const silent: K8sLogger = { info: () => undefined, warn: () => undefined };

export const launchedFromPod = (pod: V1Pod): LaunchedMachine => ({
  cloudId: pod.metadata?.name ?? '',
  // A pod has no instance type or price of its own; the node it lands on is not known yet at creation.
  instanceType: null,
  capacity: pod.metadata?.labels?.[LABELS.capacity] === 'spot' ? 'spot' : 'on-demand',
  zone: null,
  pricePerHour: null,
});

/**
 * A live runner pod as housekeeping sees machines: pending until it runs. Finished pods (Succeeded, Failed) and pods
 * being deleted are not live: the watch has reported their end, and deleting them is under way or the completion's.
 */
export const managedFromPod = (pod: V1Pod): ManagedMachine | null => {
  const phase = pod.status?.phase;
  const name = pod.metadata?.name;
  if (name === undefined || pod.metadata?.deletionTimestamp !== undefined) return null;
  if (phase === 'Succeeded' || phase === 'Failed') return null;
  const created = pod.metadata?.creationTimestamp;

  return {
    machineId: pod.metadata?.labels?.[LABELS.machineId] ?? null,
    cloudId: name,
    state: phase === 'Running' ? 'running' : 'pending',
    launchedAt: created === undefined ? null : new Date(created).toISOString(),
  };
};

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export const createK8sCompute = (options: K8sComputeOptions): K8sCompute => {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const { namespace } = options.pod;
  const logger = options.logger ?? silent;

  const findByCommandId = async (commandId: string): Promise<LaunchedMachine | null> => {
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: `${MANAGED_SELECTOR},${LABELS.commandId}=${commandId}`,
    });
    if (pods.items.length > 1) {
      logger.warn({ commandId, pods: pods.items.map((p) => p.metadata?.name) }, 'several pods for one command');
    }
    const first = pods.items[0];

    return first === undefined ? null : launchedFromPod(first);
  };

  const readPod = async (name: string): Promise<V1Pod | null> => {
    try {
      return await core.readNamespacedPod({ name, namespace });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  };

  /** A create answered AlreadyExists: ours (an earlier attempt, a concurrent worker) means done. */
  const existing = async (command: CreateRunnerPod): Promise<E.Either<LaunchFailure, LaunchedMachine>> => {
    const name = podNameFor(command.data.machineId);
    const pod = await readPod(name);
    // Deleted again in between: the command bus retries, and the next attempt creates it.
    if (pod === null) throw new Error(`pod ${name} already existed and vanished while being read: retry`);
    if (pod.metadata?.labels?.[LABELS.commandId] === command.commandId) return E.right(launchedFromPod(pod));

    return E.left({
      errorClass: 'invalid',
      message: `pod ${name} exists and was not created by command ${command.commandId}`,
      typesTried: [],
    });
  };

  const launch = async (command: ProvisionCommand): Promise<E.Either<LaunchFailure, LaunchedMachine>> => {
    if (command.type !== 'CreateRunnerPod') {
      return E.left({ errorClass: 'invalid', message: `Kubernetes cannot carry out ${command.type}`, typesTried: [] });
    }
    let pod: V1Pod;
    try {
      pod = buildRunnerPod(command, options.pod);
    } catch (e) {
      return E.left({ errorClass: 'invalid', message: apiMessage(e), typesTried: [] });
    }
    try {
      return E.right(launchedFromPod(await core.createNamespacedPod({ namespace, body: pod })));
    } catch (e) {
      if (isAlreadyExists(e)) return existing(command);
      const errorClass = launchErrorClass(e);
      if (errorClass === null) throw e;

      return E.left({ errorClass, message: apiMessage(e), typesTried: [] });
    }
  };

  const deleteSecret = async (machineId: string): Promise<void> => {
    try {
      await core.deleteNamespacedSecret({ name: secretNameFor(machineId), namespace });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  };

  /** Only pods carrying our managed label and this machine's id: never a pod someone else made under that name. */
  const isOurs = (pod: V1Pod | null, machineId: string): pod is V1Pod => {
    const labels = pod?.metadata?.labels ?? {};

    return labels[LABELS.managed] === 'true' && labels[LABELS.machineId] === machineId;
  };

  const deletePod = async (pod: V1Pod, machineId: string, reason: string): Promise<void> => {
    const name = podNameFor(machineId);
    try {
      // The watch reads the reason off the deleted pod (a delete carries no message of its own).
      await core.patchNamespacedPod(
        { name, namespace, body: { metadata: { annotations: { [ANNOTATIONS.terminationReason]: reason } } } },
        mergePatch,
      );
      await core.deleteNamespacedPod({
        name,
        namespace,
        // Only the pod we read: a pod re-created under the same name in between is left alone (409).
        body: { preconditions: { uid: pod.metadata?.uid ?? '' } },
      });
      logger.info({ machineId, pod: name, reason }, 'runner pod deleted');
    } catch (e) {
      if (!isNotFound(e) && !isAlreadyExists(e)) throw e;
    }
  };

  const terminateOne = async (machineId: string, reason: string): Promise<void> => {
    const pod = await readPod(podNameFor(machineId));
    // A pod already being deleted (its graceful termination under way) is left to finish.
    if (isOurs(pod, machineId) && pod.metadata?.deletionTimestamp === undefined)
      await deletePod(pod, machineId, reason);
    await deleteSecret(machineId);
  };

  const terminate = async (machineIds: ReadonlyArray<string>, reason: string): Promise<void> => {
    for (const machineId of new Set(machineIds)) await terminateOne(machineId, reason);
  };

  const listManaged = async (): Promise<ReadonlyArray<ManagedMachine>> => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: MANAGED_SELECTOR });

    return pods.items.flatMap((pod) => managedFromPod(pod) ?? []);
  };

  return {
    namespace,
    listManaged,
    findByCommandId,
    launch,
    terminate,
    stop: async () => undefined,
    start: async () => undefined,
  };
};
