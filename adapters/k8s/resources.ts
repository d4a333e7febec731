import type { V1ResourceRequirements } from '@kubernetes/client-node';
import type { LaunchRequest } from '../../domain/machine/launch-request.js';

/**
 * The runner container's resources, from the same label keys that size an EC2 instance (docs/kubernetes.md has the
 * table). The Go system set none, so every pod got the chart's 2 CPU / 4 GiB whatever the label said (SPEC section 13).
 *
 * - CPU: requested at the label's minimum (`cpu=4` or the low end of `cpu=4+16`). No CPU limit: a CFS quota throttles
 *   builds that burst, and the scheduler already reserved what the job asked for.
 * - Memory: requested at `ram=` (its minimum), or `memoryPerCpuGiB` × the CPU minimum when the label names no ram;
 *   limited at `ram=`'s maximum when it names one, else at the request: a runner that grows past what it asked for is
 *   OOM-killed in its own cgroup rather than starving its neighbours on the node.
 * - Ephemeral storage: `disk=` as request and limit (the kubelet evicts a pod past its limit, like a full EBS volume
 *   fails a job); no request when the label names no disk.
 */
export const DEFAULT_MEMORY_PER_CPU_GIB = 4;

/** `16` → `16Gi`; fractions in MiB (`0.5` → `512Mi`), since quantities must be exact. */
export const gibQuantity = (gib: number): string => (Number.isInteger(gib) ? `${gib}Gi` : `${Math.ceil(gib * 1024)}Mi`);

/** Whole CPUs as an integer, fractions in millicores. */
export const cpuQuantity = (cpus: number): string =>
  Number.isInteger(cpus) ? String(cpus) : `${Math.ceil(cpus * 1000)}m`;

export const runnerResources = (request: LaunchRequest, memoryPerCpuGiB: number): V1ResourceRequirements => {
  const memoryRequest = request.ramGiB?.min ?? request.cpu.min * memoryPerCpuGiB;
  const memoryLimit = request.ramGiB?.max ?? memoryRequest;
  const requests: Record<string, string> = {
    cpu: cpuQuantity(request.cpu.min),
    memory: gibQuantity(memoryRequest),
  };
  const limits: Record<string, string> = { memory: gibQuantity(memoryLimit) };
  if (request.diskGiB !== null) {
    requests['ephemeral-storage'] = gibQuantity(request.diskGiB);
    limits['ephemeral-storage'] = gibQuantity(request.diskGiB);
  }

  return { requests, limits };
};
