import { CoreV1Api, makeInformer, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Observation } from '../../domain/machine/machine-decide.js';
import { sleep } from '../shared/sleep.js';
import { apiMessage } from './errors.js';
import type { K8sLogger } from './k8s-compute.js';
import { MANAGED_SELECTOR } from './names.js';
import { podFacts } from './pod-observations.js';

/**
 * The pod watch: runner pods' changes become machine observations (pod-observations.ts), reported through the same
 * callback as the simulated cloud's and EventBridge's (handlers/serve/record-observation.ts records them once).
 *
 * Built on the client's informer (list, then watch from the list's resourceVersion). When the watch's
 * resourceVersion has expired (410 Gone: etcd compacted it, or the API server's watch cache moved past it), the
 * informer lists again and compares with what it held: pods that vanished meanwhile come out as deletions, changed
 * pods as updates, so no change is lost, only intermediate states (which are level-triggered facts anyway). A
 * dropped connection or a failed list stops the informer; this module restarts it with exponential backoff.
 *
 * Reports for one machine are delivered in order, one at a time, and retried; the same fact is not reported twice
 * while this process runs (the recorder would drop it anyway, but each report reads the machine's stream).
 */
export interface Unschedulable {
  readonly machineId: string;
  readonly podName: string;
  /** The scheduler's reason, e.g. `0/3 nodes are available: 3 Insufficient cpu.` */
  readonly message: string;
  /** When the pod became unschedulable (the condition's lastTransitionTime), if the API server said. */
  readonly since: string | null;
}

export interface PodWatchOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly report: (machineId: string, observation: Observation) => Promise<void>;
  /** Called when the scheduler reports a pod cannot be placed, and again when its message changes. */
  readonly onUnschedulable?: (event: Unschedulable) => void;
  readonly logger?: K8sLogger;
  /** Reconnect backoff: doubling from `baseMs` (default 500) up to `maxMs` (default 30000), with jitter. */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** A failing report is retried: default 5 attempts, 200 ms doubling (then logged and dropped). */
  readonly reportRetry?: { readonly attempts?: number; readonly baseMs?: number };
}

export interface PodWatch {
  /** Starts watching; resolves after the first successful list (retrying with backoff until then or `stop`). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves when every report queued so far has been delivered (or dropped). */
  settled(): Promise<void>;
  /** How many times the watch has (re)listed: 1 after the start, more after expiries and reconnects. */
  lists(): number;
}

const silent: K8sLogger = { info: () => undefined, warn: () => undefined };

const observationKey = (o: Observation): string => o.type;

export const createPodWatch = (options: PodWatchOptions): PodWatch => {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const { namespace } = options;
  const logger = options.logger ?? silent;
  const baseMs = options.backoff?.baseMs ?? 500;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const reportAttempts = Math.max(1, options.reportRetry?.attempts ?? 5);
  const reportBaseMs = options.reportRetry?.baseMs ?? 200;

  let listCount = 0;
  let failures = 0;
  let stopped = true;
  let restartTimer: NodeJS.Timeout | null = null;
  let firstList: { resolve: () => void; promise: Promise<void> } | null = null;

  /** Per machine: what was reported already, the last unschedulable message, the tail of its report chain. */
  const reported = new Map<string, Set<string>>();
  const unschedulableSeen = new Map<string, string>();
  const chains = new Map<string, Promise<void>>();

  const deliver = async (machineId: string, observation: Observation): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.report(machineId, observation);
        return;
      } catch (e) {
        if (attempt >= reportAttempts || stopped) {
          // Forget it was sent, so the next sight of the pod (an update, a re-list) reports it again.
          reported.get(machineId)?.delete(observationKey(observation));
          logger.warn({ machineId, observation: observation.type, error: apiMessage(e) }, 'pod report dropped');
          return;
        }
        await sleep(reportBaseMs * 2 ** (attempt - 1));
      }
    }
  };

  const enqueue = (machineId: string, observation: Observation): void => {
    const tail = chains.get(machineId) ?? Promise.resolve();
    const next = tail.then(() => deliver(machineId, observation));
    chains.set(machineId, next);
    void next.then(() => {
      if (chains.get(machineId) === next) chains.delete(machineId);
    });
  };

  const handle = (pod: V1Pod, deleted: boolean): void => {
    failures = 0; // the watch delivers again: the next failure starts the backoff from the bottom
    const facts = podFacts(pod, deleted);
    if (facts === null) return;
    const { machineId } = facts;
    const seen = reported.get(machineId) ?? new Set<string>();
    reported.set(machineId, seen);
    for (const observation of facts.observations) {
      const key = observationKey(observation);
      if (seen.has(key)) continue;
      seen.add(key);
      enqueue(machineId, observation);
    }
    if (facts.unschedulable !== null && unschedulableSeen.get(machineId) !== facts.unschedulable.message) {
      unschedulableSeen.set(machineId, facts.unschedulable.message);
      options.onUnschedulable?.({ machineId, podName: pod.metadata?.name ?? '', ...facts.unschedulable });
    }
    if (deleted) {
      // The machine is over: keep no memory of it (its terminated report is already queued).
      reported.delete(machineId);
      unschedulableSeen.delete(machineId);
    }
  };

  const informer = makeInformer<V1Pod>(
    options.kubeConfig,
    `/api/v1/namespaces/${namespace}/pods`,
    async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: MANAGED_SELECTOR });
      listCount += 1;
      firstList?.resolve();

      return list;
    },
    MANAGED_SELECTOR,
  );
  informer.on('add', (pod) => handle(pod, false));
  informer.on('update', (pod) => handle(pod, false));
  informer.on('delete', (pod) => handle(pod, true));
  informer.on('error', (error: unknown) => {
    if (stopped) return; // stopping aborts the open watch, which the informer reports as an error
    failures += 1;
    const delay = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 16));
    const jittered = Math.round(delay / 2 + Math.random() * (delay / 2));
    logger.warn({ namespace, error: apiMessage(error), retryInMs: jittered }, 'pod watch interrupted; restarting');
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (!stopped) void informer.start();
    }, jittered);
  });

  return {
    start: async () => {
      if (!stopped) return firstList?.promise;
      stopped = false;
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      firstList = { resolve, promise };
      void informer.start();

      return promise;
    },
    stop: async () => {
      stopped = true;
      if (restartTimer !== null) clearTimeout(restartTimer);
      restartTimer = null;
      firstList?.resolve();
      await informer.stop();
    },
    settled: async () => {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
    lists: () => listCount,
  };
};
