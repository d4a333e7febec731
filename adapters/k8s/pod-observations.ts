import type { V1Pod, V1PodCondition } from '@kubernetes/client-node';
import type { Observation } from '../../domain/machine/machine-decide.js';
import { ANNOTATIONS, LABELS } from './names.js';

/**
 * What a runner pod's state says about its machine, in the order it happened. Level-triggered: the same answer for
 * the same pod however many times it is seen (a re-list after a lost watch shows only the latest state), and the
 * machine decider drops what is already recorded.
 *
 * - phase Running → `MachineRunning`;
 * - a `DisruptionTarget` condition (node drain, eviction, preemption, taint manager) → `SpotInterruptionWarned` kind
 *   `node-disruption`, the same fact as an EC2 spot warning, so requeue and re-run logic is shared (DESIGN section 3);
 * - phase Succeeded or Failed, or the pod deleted → `MachineTerminated` with why.
 *
 * A pod the scheduler cannot place (PodScheduled False, reason Unschedulable) is not a machine event: it is reported
 * separately with the scheduler's message, for the fallback decision to use.
 */
export interface PodFacts {
  readonly machineId: string;
  readonly observations: ReadonlyArray<Observation>;
  readonly unschedulable: { readonly message: string; readonly since: string | null } | null;
}

export const DISRUPTION_TARGET = 'DisruptionTarget';

const condition = (pod: V1Pod, type: string): V1PodCondition | undefined =>
  pod.status?.conditions?.find((c) => c.type === type);

const isoOf = (value: Date | string | undefined): string | null =>
  value === undefined ? null : value instanceof Date ? value.toISOString() : value;

/** `pod-failed: <pod reason>` or the first container that ended badly: `pod-failed: runner OOMKilled (exit 137)`. */
const withMessage = (reason: string, message: string | undefined): string =>
  message ? `${reason}: ${message}` : reason;

const failureReason = (pod: V1Pod): string => {
  const status = pod.status ?? {};
  if (status.reason !== undefined) return `pod-failed: ${withMessage(status.reason, status.message)}`;
  for (const c of status.containerStatuses ?? []) {
    const term = c.state?.terminated;
    if (term !== undefined && term.exitCode !== 0) {
      return `pod-failed: ${c.name} ${term.reason ?? 'Error'} (exit ${term.exitCode})`;
    }
  }

  return 'pod-failed';
};

const disruptionReason = (c: V1PodCondition): string =>
  `node-disruption: ${withMessage(c.reason ?? DISRUPTION_TARGET, c.message)}`;

const isTrue = (c: V1PodCondition | undefined): c is V1PodCondition => c?.status === 'True';

/** Why the machine ended, or null while the pod lives: its phase first, then a deletion and what it carried. */
const endOf = (pod: V1Pod, deleted: boolean): string | null => {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded') return 'pod-succeeded';
  if (phase === 'Failed') return failureReason(pod);
  if (!deleted) return null;
  const disruption = condition(pod, DISRUPTION_TARGET);

  return (
    pod.metadata?.annotations?.[ANNOTATIONS.terminationReason] ??
    (isTrue(disruption) ? disruptionReason(disruption) : 'pod-deleted')
  );
};

const unschedulableOf = (pod: V1Pod): PodFacts['unschedulable'] => {
  const scheduled = condition(pod, 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return null;

  return { message: scheduled.message ?? 'Unschedulable', since: isoOf(scheduled.lastTransitionTime) };
};

export const podFacts = (pod: V1Pod, deleted: boolean): PodFacts | null => {
  const meta = pod.metadata ?? {};
  const machineId = meta.labels?.[LABELS.machineId];
  const cloudId = meta.name;
  if (machineId === undefined || cloudId === undefined) return null;
  const observations: Observation[] = [];
  if (pod.status?.phase === 'Running') observations.push({ type: 'MachineRunning', data: { cloudId } });
  if (isTrue(condition(pod, DISRUPTION_TARGET))) {
    observations.push({ type: 'SpotInterruptionWarned', data: { cloudId, kind: 'node-disruption' } });
  }
  const end = endOf(pod, deleted);
  if (end !== null) observations.push({ type: 'MachineTerminated', data: { cloudId, reason: end } });

  return { machineId, observations, unschedulable: deleted || end !== null ? null : unschedulableOf(pod) };
};
