export { createK8sCompute, launchedFromPod, managedFromPod } from './k8s-compute.js';
export type { K8sCompute, K8sComputeOptions, K8sLogger } from './k8s-compute.js';
export { createSecretRunnerConfigStore, secretRef, SECRET_REF_PREFIX } from './secret-config-store.js';
export type { SecretConfigStoreOptions } from './secret-config-store.js';
export { createPodWatch } from './pod-watch.js';
export type { PodWatch, PodWatchOptions, Unschedulable } from './pod-watch.js';
export { podFacts, DISRUPTION_TARGET } from './pod-observations.js';
export type { PodFacts } from './pod-observations.js';
export { buildRunnerPod, runnerPodLabels, RUNNER_CONFIG_DIR, RUNNER_CONFIG_KEY } from './runner-pod.js';
export type { RunnerPodConfig } from './runner-pod.js';
export {
  EMPTY_POD_TEMPLATE,
  loadPodTemplate,
  parsePodTemplate,
  RUNNER_CONFIG_VOLUME,
  RUNNER_CONTAINER,
} from './pod-template.js';
export type { PodTemplateOverrides, RunnerContainerOverrides } from './pod-template.js';
export { DEFAULT_MEMORY_PER_CPU_GIB, cpuQuantity, gibQuantity, runnerResources } from './resources.js';
export { ARCH_NODE_LABEL, SPOT_MARKERS, archNodeSelector, capacityAffinity, spotTolerations } from './placement.js';
export type { SpotMarker } from './placement.js';
export { ANNOTATIONS, LABELS, MANAGED_SELECTOR, labelValue, podNameFor, secretNameFor } from './names.js';
export { loadKubeConfig } from './kube-config.js';
export type { KubeConfigSource } from './kube-config.js';
