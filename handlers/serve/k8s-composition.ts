import type { Logger } from 'pino';
import {
  createK8sCompute,
  createPodWatch,
  createSecretRunnerConfigStore,
  EMPTY_POD_TEMPLATE,
  loadKubeConfig,
  loadPodTemplate,
  type K8sCompute,
  type PodWatch,
  type Unschedulable,
} from '../../adapters/k8s/index.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';

/**
 * The Kubernetes backend from its settings (docs/kubernetes.md): runner pods in one namespace (adapters/k8s), runner
 * configs in Secrets beside them, and the pod watch whose observations are recorded like EC2's and the simulation's
 * (`report` is handlers/serve/record-observation.ts's recorder).
 *
 * A runner pod that ends on its own (its runner finished: Succeeded or Failed) stays in the API server until deleted:
 * once its end is recorded, it is deleted here with its Secret, as an EC2 instance that shuts down is gone.
 */
export interface K8sSettings {
  /** null: the namespace of the kubeconfig's context (in a pod: its own namespace), else `default`. */
  readonly namespace: string | null;
  readonly runnerImage: string;
  readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never' | null;
  /** The pod template overrides file (adapters/k8s/pod-template.ts); null: none. */
  readonly podTemplate: string | null;
  /** null: KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  readonly kubeconfig: string | null;
  readonly context: string | null;
  /** Memory asked per vCPU when a label names no `ram=`. */
  readonly memoryPerCpuGiB: number;
}

export interface K8sBackendDeps {
  readonly logger: Logger;
  /** Records an observation on the machine's stream (createObservationRecorder). */
  readonly report: (machineId: string, observation: Observation) => Promise<void>;
  /** A pod the scheduler cannot place, with its message (for the unschedulable deadline and EC2 fallback). */
  readonly onUnschedulable?: (event: Unschedulable) => void;
}

export interface K8sBackend {
  readonly namespace: string;
  readonly compute: K8sCompute;
  readonly configs: RunnerConfigStore;
  readonly watch: PodWatch;
  /** Starts the pod watch; resolves after its first list. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export const openK8sBackend = async (settings: K8sSettings, deps: K8sBackendDeps): Promise<K8sBackend> => {
  const { logger } = deps;
  const kubeConfig = loadKubeConfig({ kubeconfig: settings.kubeconfig, context: settings.context });
  const namespace =
    settings.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
  const template = settings.podTemplate === null ? EMPTY_POD_TEMPLATE : await loadPodTemplate(settings.podTemplate);
  const compute = createK8sCompute({
    kubeConfig,
    pod: {
      namespace,
      image: settings.runnerImage,
      imagePullPolicy: settings.imagePullPolicy,
      memoryPerCpuGiB: settings.memoryPerCpuGiB,
      template,
    },
    logger,
  });
  const configs = createSecretRunnerConfigStore({ kubeConfig, namespace });

  const report = async (machineId: string, observation: Observation): Promise<void> => {
    await deps.report(machineId, observation);
    if (observation.type === 'MachineTerminated') {
      // Recorded first: a crash here leaves a finished pod that the next sight of it (a re-list) cleans up.
      await compute.terminate([machineId], observation.data.reason);
    }
  };
  const watch = createPodWatch({
    kubeConfig,
    namespace,
    report,
    logger,
    onUnschedulable: (event) => {
      logger.warn({ ...event }, 'runner pod cannot be scheduled');
      deps.onUnschedulable?.(event);
    },
  });
  logger.info(
    { namespace, server: kubeConfig.getCurrentCluster()?.server, image: settings.runnerImage },
    'Kubernetes backend ready',
  );

  return {
    namespace,
    compute,
    configs,
    watch,
    start: () => watch.start(),
    close: () => watch.stop(),
  };
};
