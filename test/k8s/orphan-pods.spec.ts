import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createK8sCompute,
  createSecretRunnerConfigStore,
  LABELS,
  podNameFor,
  secretNameFor,
  type K8sCompute,
} from '../../adapters/k8s/index.js';
import { createRunnerPodCommand, TEST_RUNNER_IMAGE, testPodConfig } from '../../adapters/k8s/testing.js';
import type { ProvisionCommand } from '../../domain/commands/commands.js';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import { runOrphanInstances, silentLogger, type HousekeepingDeps } from '../../handlers/housekeeping/index.js';
import { createEc2World, type Ec2World } from '../ec2/ec2-world.js';
import { createTestGithub, MINUTE, settings } from '../housekeeping/fixtures.js';
import { adminKubeConfig, freshNamespace, kubeReady, setPodStatus } from '../harness/kube-apiserver-client.js';

/**
 * Issue 8, acceptance 3: the orphan sweep on Kubernetes. The Kubernetes adapter's `listManaged` (pods with our managed
 * label in the namespace, from the real API server) is judged against the read models of the in-process pipeline,
 * which creates its runner pods and Secrets through the same adapter. No kubelet runs: the test marks pods Running as
 * one would. Pod creation times are the API server's (real time), so the world's clock is set to the real time and
 * "20 minutes later" is the sweep's own clock moving on, as in test/housekeeping/orphans-moto.spec.ts.
 */
const LABEL = 'runs-fleet/cpu=2/arch=arm64/backend=k8s';

const exists = async (read: () => Promise<unknown>): Promise<boolean> => {
  try {
    await read();

    return true;
  } catch (e) {
    if ((e as { code?: number }).code === 404) return false;
    throw e;
  }
};

describe('[kube-apiserver] housekeeping: orphan runner pods', () => {
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let jobSeq = 0;

  beforeAll(async () => {
    await kubeReady();
    kubeConfig = await adminKubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
  });

  const jobId = (): string => `${Date.now()}${(jobSeq += 1)}`;

  interface Cluster {
    readonly namespace: string;
    readonly pods: K8sCompute;
    readonly secrets: RunnerConfigStore;
    readonly world: Ec2World;
    podExists(machineId: string): Promise<boolean>;
    secretExists(machineId: string): Promise<boolean>;
    running(machineId: string): Promise<void>;
    deps(now: string, compute?: ComputePort): HousekeepingDeps;
  }

  /**
   * The pipeline on a fresh namespace. Its own terminations never reach the cluster (a lost delete: the orchestrator
   * that recorded `MachineTerminated` never got its delete through), so a finished job's pod lingers for the sweep.
   */
  const cluster = async (): Promise<Cluster> => {
    const namespace = await freshNamespace('orphan-pods');
    const pods = createK8sCompute({ kubeConfig, pod: testPodConfig(namespace) });
    const secrets = createSecretRunnerConfigStore({ kubeConfig, namespace });
    const world = createEc2World({ ...pods, terminate: async () => undefined }, secrets, { defaultBackend: 'k8s' });
    world.clock.advance(Date.now() - Date.parse(world.clock.now()));
    const github = createTestGithub();

    return {
      namespace,
      pods,
      secrets,
      world,
      podExists: (machineId) => exists(() => core.readNamespacedPod({ name: podNameFor(machineId), namespace })),
      secretExists: (machineId) =>
        exists(() => core.readNamespacedSecret({ name: secretNameFor(machineId), namespace })),
      running: async (machineId) => {
        await setPodStatus(kubeConfig, namespace, podNameFor(machineId), { phase: 'Running' });
      },
      deps: (now, compute = pods) => ({
        store: world.store,
        compute,
        github,
        views: async () => world.models,
        now: () => now,
        settings: settings(),
        logger: silentLogger,
      }),
    };
  };

  /** Queues a job through the pipeline and returns the machine of the pod it created. */
  const queue = async ({ world }: Cluster, job: { jobId: string; labels: string[] }): Promise<string> => {
    await world.queued(job);
    await world.settle();
    const created = world.dispatched.filter((c): c is ProvisionCommand => c.type === 'CreateRunnerPod');
    const machineId = created.find((c) => c.data.request.jobId === job.jobId)?.data.machineId;
    if (machineId === undefined) throw new Error(`job ${job.jobId} got no runner pod`);

    return machineId;
  };

  /** A runner pod and its Secret that no stream of ours names (a crashed deployment, another store). */
  const stranger = async ({ pods, secrets }: Cluster): Promise<string> => {
    const command = createRunnerPodCommand({ label: LABEL, jobId: jobId() });
    const launched = await pods.launch(command);
    if (launched._tag === 'Left') throw new Error(launched.left.message);
    const { machineId } = command.data;
    await secrets.put({
      machineId,
      runnerName: runnerNameFor(machineId),
      labels: [LABEL],
      repo: 'acme/widgets',
      jobId: null,
      encodedJitConfig: 'jit',
    });

    return machineId;
  };

  /** A pod under a runner's name and machine-id label but WITHOUT our managed label: never ours to touch. */
  const unmanaged = async ({ namespace }: Cluster): Promise<string> => {
    const machineId = createRunnerPodCommand({ label: LABEL, jobId: jobId() }).data.machineId;
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: podNameFor(machineId), labels: { [LABELS.machineId]: machineId } },
        spec: { containers: [{ name: 'runner', image: TEST_RUNNER_IMAGE }] },
      },
    });

    return machineId;
  };

  it('deletes, after the grace, a lingering pod whose job completed and a pod no stream knows (with its Secret); leaves the near misses', async () => {
    const c = await cluster();
    const { world } = c;
    const finishedJob = { jobId: jobId(), labels: [LABEL] };
    const finished = await queue(c, finishedJob);
    await world.started(finishedJob, runnerNameFor(finished));
    await world.completed(finishedJob, 'success', runnerNameFor(finished));
    await world.settle();
    expect(world.models.machine(finished)?.status).toBe('terminated');
    const busyJob = { jobId: jobId(), labels: [LABEL] };
    const busy = await queue(c, busyJob);
    await world.started(busyJob, runnerNameFor(busy));
    await world.settle();
    const unknown = await stranger(c);
    const foreign = await unmanaged(c);
    for (const machineId of [finished, busy, unknown, foreign]) await c.running(machineId);
    expect(await c.secretExists(busy)).toBe(true);
    expect(await c.secretExists(unknown)).toBe(true);
    // The completion's terminate deleted the finished runner's config (the executor does that after the compute's
    // terminate); its pod, whose delete was lost, is what lingers.
    expect(await c.secretExists(finished)).toBe(false);
    expect(await c.podExists(finished)).toBe(true);
    // What the sweep sees: our three runner pods, with the API server's creation time; the unmanaged one is not listed.
    const listed = await c.pods.listManaged();
    expect(listed.map((m) => m.machineId).sort()).toEqual([finished, busy, unknown].sort());
    expect(listed.every((m) => m.state === 'running' && m.launchedAt !== null)).toBe(true);

    // Just created: within the grace, whatever our records say.
    const first = await runOrphanInstances(c.deps(world.clock.now()));
    expect(first).toMatchObject({ decided: 0, acted: 0 });
    expect(first.kept).toMatchObject({
      'within the 15-minute grace': 2,
      'its job (or the job its runner took) still needs it': 1,
    });
    for (const machineId of [finished, busy, unknown, foreign]) expect(await c.podExists(machineId)).toBe(true);

    // Twenty minutes later; the decision must be on the machine's stream before the pod is deleted.
    const later = new Date(Date.now() + 20 * MINUTE).toISOString();
    const atDelete: Array<{ machineId: string; types: string[]; podThere: boolean }> = [];
    const watched: ComputePort = {
      ...c.pods,
      terminate: async (ids, reason) => {
        for (const machineId of ids) {
          const types = (await world.store.read(machineStreamId(machineId))).map((e) => e.type);
          atDelete.push({ machineId, types, podThere: await c.podExists(machineId) });
        }
        await c.pods.terminate(ids, reason);
      },
    };
    const second = await runOrphanInstances(c.deps(later, watched));
    expect(second).toMatchObject({ decided: 2, acted: 2, withdrawn: 0 });
    expect(second.kept).toMatchObject({ 'its job (or the job its runner took) still needs it': 1 });
    expect(atDelete.map((d) => d.machineId).sort()).toEqual([finished, unknown].sort());
    for (const seen of atDelete) {
      expect(seen.podThere).toBe(true);
      expect(seen.types.at(-1)).toBe('MachineOrphaned');
    }

    expect(await c.podExists(unknown)).toBe(false);
    expect(await c.secretExists(unknown)).toBe(false);
    expect(await c.podExists(finished)).toBe(false);
    expect(await c.podExists(busy)).toBe(true);
    expect(await c.secretExists(busy)).toBe(true);
    expect(await c.podExists(foreign)).toBe(true);

    expect((await world.store.read(machineStreamId(unknown))).map((e) => e.type)).toEqual([
      'MachineOrphaned',
      'MachineTerminated',
    ]);
    const orphaned = (await world.store.read(machineStreamId(finished))).find((e) => e.type === 'MachineOrphaned');
    expect(orphaned?.data).toMatchObject({
      reason: 'ended-in-our-records',
      cloudId: podNameFor(finished),
      cloudState: 'running',
    });
    const unknownOrphaned = (await world.store.read(machineStreamId(unknown)))[0];
    expect(unknownOrphaned?.data).toMatchObject({ reason: 'unknown-to-us', cloudId: podNameFor(unknown) });

    // A second sweep finds nothing more to do: the deleted pods are no longer listed.
    expect(await runOrphanInstances(c.deps(later))).toMatchObject({ decided: 0, acted: 0 });
  });
});
