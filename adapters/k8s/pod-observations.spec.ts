import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, LABELS } from './names.js';
import { podFacts } from './pod-observations.js';

const pod = (status: V1Pod['status'], annotations: Record<string, string> = {}): V1Pod => ({
  metadata: { name: 'runs-fleet-m1', labels: { [LABELS.machineId]: 'm1' }, annotations },
  status,
});

describe('pod facts', () => {
  it('a pending pod says nothing yet', () => {
    expect(podFacts(pod({ phase: 'Pending' }), false)).toEqual({
      machineId: 'm1',
      observations: [],
      unschedulable: null,
    });
  });

  it('ignores a pod without a machine id label', () => {
    expect(podFacts({ metadata: { name: 'x' }, status: { phase: 'Running' } }, false)).toBeNull();
  });

  it('a pod deleted while pending ends with the reason the adapter wrote, else pod-deleted', () => {
    expect(podFacts(pod({ phase: 'Pending' }), true)?.observations).toEqual([
      { type: 'MachineTerminated', data: { cloudId: 'runs-fleet-m1', reason: 'pod-deleted' } },
    ]);
    expect(
      podFacts(pod({ phase: 'Pending' }, { [ANNOTATIONS.terminationReason]: 'job-completed' }), true)?.observations,
    ).toEqual([{ type: 'MachineTerminated', data: { cloudId: 'runs-fleet-m1', reason: 'job-completed' } }]);
  });

  it('a failed pod names its own reason when it has one (eviction, deadline)', () => {
    expect(
      podFacts(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on ephemeral-storage' }), false)?.observations,
    ).toEqual([
      {
        type: 'MachineTerminated',
        data: { cloudId: 'runs-fleet-m1', reason: 'pod-failed: Evicted: low on ephemeral-storage' },
      },
    ]);
  });

  it('a disrupted pod that finished reports the warning before the end', () => {
    const facts = podFacts(
      pod({
        phase: 'Failed',
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet' }],
      }),
      false,
    );

    expect(facts?.observations.map((o) => o.type)).toEqual(['SpotInterruptionWarned', 'MachineTerminated']);
  });

  it('reports unschedulable only while the pod waits', () => {
    const waiting = pod({
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/1 nodes are available',
          lastTransitionTime: new Date('2026-01-01T00:00:00.000Z'),
        },
      ],
    });

    expect(podFacts(waiting, false)?.unschedulable).toEqual({
      message: '0/1 nodes are available',
      since: '2026-01-01T00:00:00.000Z',
    });
    expect(podFacts(waiting, true)?.unschedulable).toBeNull();
  });
});
