import { createServer, connect, type Server, type Socket } from 'node:net';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Observation } from '../../domain/machine/machine-decide.js';
import {
  adminKubeConfig,
  compactEtcd,
  freshNamespace,
  kubeReady,
  podCondition,
  setPodStatus,
} from '../../test/harness/kube-apiserver-client.js';
import { createK8sCompute } from './k8s-compute.js';
import { podNameFor } from './names.js';
import { createPodWatch, type PodWatch, type Unschedulable } from './pod-watch.js';
import { createRunnerPodCommand, testPodConfig } from './testing.js';

const LABEL = 'runs-fleet/cpu=2/arch=amd64/backend=k8s';

interface Recorded {
  readonly machineId: string;
  readonly observation: Observation;
}

/**
 * A loopback TCP proxy in front of the API server, so a test can cut the watch's connection (and refuse new ones)
 * the way a network partition or an API server restart would, then let it back.
 */
interface Cuttable {
  readonly server: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

const cuttableProxy = async (target: URL): Promise<Cuttable> => {
  const sockets = new Set<Socket>();
  let listener: Server | null = null;
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const srv = createServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        listener = srv;
        const addr = srv.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
      });
    });
  const stop = async (): Promise<void> => {
    const srv = listener;
    listener = null;
    for (const s of sockets) s.destroy();
    if (srv !== null) await new Promise<void>((resolve) => srv.close(() => resolve()));
  };
  const port = await listen(0);

  return {
    server: `https://127.0.0.1:${port}`,
    cut: stop,
    restore: async () => {
      await listen(port);
    },
    close: stop,
  };
};

describe('[kube-apiserver] pod watch', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    kc = await adminKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const watchIn = async (namespace: string, config: KubeConfig = kc) => {
    const recorded: Recorded[] = [];
    const unschedulable: Unschedulable[] = [];
    const watch: PodWatch = createPodWatch({
      kubeConfig: config,
      namespace,
      report: async (machineId, observation) => {
        recorded.push({ machineId, observation });
      },
      onUnschedulable: (event) => unschedulable.push(event),
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    cleanups.push(() => watch.stop());
    await watch.start();

    return { watch, recorded, unschedulable };
  };

  const launch = async (namespace: string, jobId: string) => {
    const command = createRunnerPodCommand({ label: LABEL, jobId });
    await createK8sCompute({ kubeConfig: kc, pod: testPodConfig(namespace) }).launch(command);

    return { machineId: command.data.machineId, name: podNameFor(command.data.machineId) };
  };

  const of = (recorded: ReadonlyArray<Recorded>, machineId: string): Observation[] =>
    recorded.filter((r) => r.machineId === machineId).map((r) => r.observation);

  it('reports running, then succeeded, once each', async () => {
    const namespace = await freshNamespace('watch-phases');
    const { recorded } = await watchIn(namespace);
    const pod = await launch(namespace, '1');

    await setPodStatus(kc, namespace, pod.name, { phase: 'Running' });
    await vi.waitFor(() => expect(of(recorded, pod.machineId)).toHaveLength(1));
    await setPodStatus(kc, namespace, pod.name, { phase: 'Succeeded' });

    await vi.waitFor(() =>
      expect(of(recorded, pod.machineId)).toEqual([
        { type: 'MachineRunning', data: { cloudId: pod.name } },
        { type: 'MachineTerminated', data: { cloudId: pod.name, reason: 'pod-succeeded' } },
      ]),
    );
  });

  it('reports a failed pod with the container that failed', async () => {
    const namespace = await freshNamespace('watch-failed');
    const { recorded } = await watchIn(namespace);
    const pod = await launch(namespace, '2');

    await setPodStatus(kc, namespace, pod.name, {
      phase: 'Failed',
      containerStatuses: [
        {
          name: 'runner',
          image: 'runner',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
      ],
    });

    await vi.waitFor(() =>
      expect(of(recorded, pod.machineId)).toEqual([
        { type: 'MachineTerminated', data: { cloudId: pod.name, reason: 'pod-failed: runner OOMKilled (exit 137)' } },
      ]),
    );
  });

  it('turns a DisruptionTarget condition into the interruption warning, then the deletion into its end', async () => {
    const namespace = await freshNamespace('watch-disruption');
    const { recorded } = await watchIn(namespace);
    const pod = await launch(namespace, '3');
    await setPodStatus(kc, namespace, pod.name, { phase: 'Running' });

    // What the eviction API or the taint manager writes before the pod is deleted from a draining node.
    await setPodStatus(kc, namespace, pod.name, {
      conditions: [podCondition('DisruptionTarget', 'True', 'EvictionByEvictionAPI', 'Eviction API: evicting')],
    });
    await vi.waitFor(() => expect(of(recorded, pod.machineId)).toHaveLength(2));
    await core.deleteNamespacedPod({ name: pod.name, namespace });

    await vi.waitFor(() =>
      expect(of(recorded, pod.machineId)).toEqual([
        { type: 'MachineRunning', data: { cloudId: pod.name } },
        { type: 'SpotInterruptionWarned', data: { cloudId: pod.name, kind: 'node-disruption' } },
        {
          type: 'MachineTerminated',
          data: { cloudId: pod.name, reason: 'node-disruption: EvictionByEvictionAPI: Eviction API: evicting' },
        },
      ]),
    );
  });

  it('records the reason the adapter deleted a pod for', async () => {
    const namespace = await freshNamespace('watch-terminate');
    const { recorded } = await watchIn(namespace);
    const pod = await launch(namespace, '4');

    await createK8sCompute({ kubeConfig: kc, pod: testPodConfig(namespace) }).terminate([pod.machineId], 'orphaned');

    await vi.waitFor(() =>
      expect(of(recorded, pod.machineId)).toEqual([
        { type: 'MachineTerminated', data: { cloudId: pod.name, reason: 'orphaned' } },
      ]),
    );
  });

  it("surfaces an unschedulable pod with the scheduler's message", async () => {
    const namespace = await freshNamespace('watch-unschedulable');
    const { recorded, unschedulable } = await watchIn(namespace);
    const pod = await launch(namespace, '5');
    const message = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available.';

    await setPodStatus(kc, namespace, pod.name, {
      phase: 'Pending',
      conditions: [podCondition('PodScheduled', 'False', 'Unschedulable', message)],
    });

    await vi.waitFor(() => expect(unschedulable).toHaveLength(1));
    expect(unschedulable[0]).toMatchObject({ machineId: pod.machineId, podName: pod.name, message });
    expect(Number.isNaN(Date.parse(unschedulable[0]?.since ?? ''))).toBe(false);
    expect(of(recorded, pod.machineId)).toEqual([]);
  });

  it('reports the state of pods that changed before it started', async () => {
    const namespace = await freshNamespace('watch-initial');
    const pod = await launch(namespace, '6');
    await setPodStatus(kc, namespace, pod.name, { phase: 'Running' });

    const { recorded } = await watchIn(namespace);

    await vi.waitFor(() =>
      expect(of(recorded, pod.machineId)).toEqual([{ type: 'MachineRunning', data: { cloudId: pod.name } }]),
    );
  });

  it('after its connection is cut and its resourceVersion expires, re-lists and loses no change', async () => {
    const namespace = await freshNamespace('watch-expiry');
    const proxy = await cuttableProxy(new URL((await kubeReady()).server));
    cleanups.push(() => proxy.close());
    const { watch, recorded } = await watchIn(namespace, await adminKubeConfig({ server: proxy.server }));
    const finishes = await launch(namespace, '10');
    const deleted = await launch(namespace, '11');
    const starts = await launch(namespace, '12');
    await setPodStatus(kc, namespace, finishes.name, { phase: 'Running' });
    await vi.waitFor(() => expect(of(recorded, finishes.machineId)).toHaveLength(1));
    const listsBefore = watch.lists();

    await proxy.cut();
    await setPodStatus(kc, namespace, finishes.name, { phase: 'Succeeded' });
    await core.deleteNamespacedPod({ name: deleted.name, namespace });
    await setPodStatus(kc, namespace, starts.name, { phase: 'Running' });
    const born = await launch(namespace, '13');
    await setPodStatus(kc, namespace, born.name, { phase: 'Running' });
    await compactEtcd();
    await proxy.restore();

    await vi.waitFor(
      () => {
        expect(of(recorded, finishes.machineId)).toEqual([
          { type: 'MachineRunning', data: { cloudId: finishes.name } },
          { type: 'MachineTerminated', data: { cloudId: finishes.name, reason: 'pod-succeeded' } },
        ]);
        expect(of(recorded, deleted.machineId)).toEqual([
          { type: 'MachineTerminated', data: { cloudId: deleted.name, reason: 'pod-deleted' } },
        ]);
        expect(of(recorded, starts.machineId)).toEqual([{ type: 'MachineRunning', data: { cloudId: starts.name } }]);
        expect(of(recorded, born.machineId)).toEqual([{ type: 'MachineRunning', data: { cloudId: born.name } }]);
      },
      { timeout: 20_000, interval: 100 },
    );
    // The changes came from a new list: the old resourceVersion was gone, so no watch could have replayed them.
    expect(watch.lists()).toBeGreaterThan(listsBefore);
  });
});
