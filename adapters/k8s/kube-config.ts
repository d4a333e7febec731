import { KubeConfig } from '@kubernetes/client-node';

/**
 * The API server to talk to: a kubeconfig file when one is named (`RUNS_FLEET_K8S_KUBECONFIG`), else the usual
 * search (`KUBECONFIG`, `~/.kube/config`, then the in-cluster service account a pod is given).
 */
export interface KubeConfigSource {
  readonly kubeconfig: string | null;
  /** A context of that kubeconfig other than its current one. */
  readonly context?: string | null;
}

export const loadKubeConfig = (source: KubeConfigSource): KubeConfig => {
  const kc = new KubeConfig();
  if (source.kubeconfig !== null) kc.loadFromFile(source.kubeconfig);
  else kc.loadFromDefault();
  if (source.context !== undefined && source.context !== null) {
    if (kc.getContextObject(source.context) === null) {
      throw new Error(
        `Kubernetes context ${JSON.stringify(source.context)} is not in the kubeconfig ` +
          `(contexts: ${
            kc
              .getContexts()
              .map((c) => c.name)
              .join(', ') || 'none'
          })`,
      );
    }
    kc.setCurrentContext(source.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new Error(
      'no Kubernetes cluster configured: set RUNS_FLEET_K8S_KUBECONFIG or KUBECONFIG, or run inside a pod with a ' +
        'service account',
    );
  }

  return kc;
};
