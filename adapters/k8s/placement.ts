import type { V1Affinity, V1Toleration } from '@kubernetes/client-node';
import type { Arch, Capacity } from '../../domain/shared/codecs.js';

/**
 * Where a runner pod may land. Architecture is a hard `nodeSelector` (an arm64 job cannot run on amd64). Spot is a
 * preference, like the spot-first EC2 launch: the pod tolerates the spot taints of the common node provisioners and
 * prefers spot nodes, but still runs on on-demand nodes when no spot node fits. `spot=false` (or a job re-run after a
 * spot loss, DESIGN section 3) is a requirement instead: never a spot node.
 *
 * The node labels and taints below are the ones each provisioner sets on its spot nodes:
 * Karpenter `karpenter.sh/capacity-type=spot`, EKS managed node groups `eks.amazonaws.com/capacityType=SPOT`,
 * GKE `cloud.google.com/gke-spot=true`, AKS `kubernetes.azure.com/scalesetpriority=spot` (AKS taints its spot pools
 * with it; on the others the taint is the cluster operator's choice, and tolerating an absent taint is harmless).
 */
export interface SpotMarker {
  readonly provider: string;
  readonly key: string;
  readonly value: string;
}

export const SPOT_MARKERS: ReadonlyArray<SpotMarker> = [
  { provider: 'Karpenter', key: 'karpenter.sh/capacity-type', value: 'spot' },
  { provider: 'EKS', key: 'eks.amazonaws.com/capacityType', value: 'SPOT' },
  { provider: 'GKE', key: 'cloud.google.com/gke-spot', value: 'true' },
  { provider: 'AKS', key: 'kubernetes.azure.com/scalesetpriority', value: 'spot' },
];

/** Each preferred term matches one provider's spot nodes; a node carries at most one of them. */
const SPOT_PREFERENCE_WEIGHT = 100;

export const ARCH_NODE_LABEL = 'kubernetes.io/arch';

export const archNodeSelector = (arch: Arch | null): Record<string, string> =>
  arch === null ? {} : { [ARCH_NODE_LABEL]: arch };

export const spotTolerations = (capacity: Capacity): V1Toleration[] =>
  capacity === 'spot'
    ? SPOT_MARKERS.map((m) => ({ key: m.key, operator: 'Equal', value: m.value, effect: 'NoSchedule' }))
    : [];

export const capacityAffinity = (capacity: Capacity): V1Affinity => ({
  nodeAffinity:
    capacity === 'spot'
      ? {
          preferredDuringSchedulingIgnoredDuringExecution: SPOT_MARKERS.map((m) => ({
            weight: SPOT_PREFERENCE_WEIGHT,
            preference: { matchExpressions: [{ key: m.key, operator: 'In', values: [m.value] }] },
          })),
        }
      : {
          // One term, its expressions ANDed; NotIn also matches nodes without the label (every on-demand node).
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: SPOT_MARKERS.map((m) => ({ key: m.key, operator: 'NotIn', values: [m.value] })) },
            ],
          },
        },
});
