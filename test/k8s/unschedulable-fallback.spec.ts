import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEc2Compute, TAG_JOB_ID } from '../../adapters/ec2/index.js';
import { createEc2Fixture, instancesTagged, type Ec2Fixture } from '../../adapters/ec2/testing.js';
import {
  createK8sCompute,
  createPodWatch,
  createSecretRunnerConfigStore,
  podNameFor,
  type PodWatch,
} from '../../adapters/k8s/index.js';
import { testPodConfig } from '../../adapters/k8s/testing.js';
import { createSsmRunnerConfigStore } from '../../adapters/runner-config-ssm/index.js';
import type { ProvisionCommand } from '../../domain/commands/commands.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import { backendOfMachine, routeCompute, routeRunnerConfigs } from '../../handlers/serve/routed-compute.js';
import { trackUnschedulablePods, type UnschedulablePods } from '../../handlers/serve/unschedulable-pods.js';
import { createEc2World, type Ec2World } from '../ec2/ec2-world.js';
import {
  adminKubeConfig,
  freshNamespace,
  kubeReady,
  podCondition,
  setPodStatus,
} from '../harness/kube-apiserver-client.js';
import { freshName, motoClients } from '../harness/moto-client.js';

/**
 * Issue 8, acceptance 4: a runner pod no node can fit (the real API server; the test plays the scheduler by setting
 * the pod's PodScheduled condition) is, past its deadline, a visible failure with the scheduler's reason, and with
 * EC2 configured (`--compute ec2+k8s`, EC2 on moto) the job is launched on EC2 instead. The path is the service's:
 * the pod watch, the unschedulable-pod tracker, the observation recorder, the process rules and the routed compute.
 */
const LABEL = 'runs-fleet/cpu=2/arch=arm64/backend=k8s';
const SCHEDULER = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available.';
const silent = pino({ level: 'silent' });

describe('[kube-apiserver] [moto] an unschedulable runner pod', () => {
  const { ec2: moto, ssm } = motoClients();
  let fixture: Ec2Fixture;
  const cleanups: Array<() => void> = [];
  let jobSeq = 0;

  beforeAll(async () => {
    fixture = await createEc2Fixture(moto);
    await kubeReady();
  });
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  afterAll(() => {
    moto.destroy();
    ssm.destroy();
  });

  /** The service's composition for `ec2+k8s` (or `k8s` alone), around the in-process pipeline of test/ec2. */
  const compose = async (withEc2: boolean) => {
    const namespace = await freshNamespace('unschedulable');
    const kubeConfig = await adminKubeConfig();
    const pods = createK8sCompute({ kubeConfig, pod: testPodConfig(namespace) });
    const secrets = createSecretRunnerConfigStore({ kubeConfig, namespace });
    const ec2 = createEc2Compute({
      client: moto,
      subnets: fixture.subnets.map((s) => s.subnetId),
      launchTemplates: fixture.launchTemplates,
    });
    const settings: ProcessSettings = { defaultBackend: 'ec2', fallbackBackend: withEc2 ? 'ec2' : null };
    // The config router reads the world's store, which exists once the world does.
    const built: { world: Ec2World | null } = { world: null };
    const configs = withEc2
      ? routeRunnerConfigs(
          { ec2: createSsmRunnerConfigStore({ client: ssm, prefix: `/${freshName('unschedulable')}` }), k8s: secrets },
          (machineId) => backendOfMachine(built.world?.store ?? never())(machineId),
        )
      : secrets;
    const current = createEc2World(withEc2 ? routeCompute(ec2, pods) : pods, configs, settings);
    built.world = current;
    const seen: string[] = [];
    const tracker: UnschedulablePods = trackUnschedulablePods({
      deadlineMs: 1,
      now: Date.now,
      record: current.record,
      logger: silent,
      intervalMs: 60_000,
    });
    const watch: PodWatch = createPodWatch({
      kubeConfig,
      namespace,
      report: current.record,
      onUnschedulable: (event) => {
        seen.push(event.machineId);
        tracker.seen(event);
      },
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    cleanups.push(() => {
      tracker.stop();
      void watch.stop();
    });
    await watch.start();

    return { world: current, namespace, kubeConfig, tracker, seen };
  };

  const never = (): never => {
    throw new Error('the world is not built yet');
  };

  /** Queues the job, sees its pod created, then has the scheduler refuse it and the deadline pass. */
  const podRefused = async (setup: Awaited<ReturnType<typeof compose>>) => {
    const { world, namespace, kubeConfig, tracker, seen } = setup;
    const job = { jobId: `${Date.now()}${(jobSeq += 1)}`, labels: [LABEL] };
    await world.queued(job);
    await world.settle();
    const pod = world.dispatched.find((c): c is ProvisionCommand => c.type === 'CreateRunnerPod');
    expect(pod?.data.request.backend).toBe('k8s');
    const machineId = pod?.data.machineId ?? '';
    const name = podNameFor(machineId);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    expect((await core.readNamespacedPod({ name, namespace })).metadata?.name).toBe(name);

    await setPodStatus(kubeConfig, namespace, name, {
      phase: 'Pending',
      conditions: [podCondition('PodScheduled', 'False', 'Unschedulable', SCHEDULER)],
    });
    await vi.waitFor(() => expect(seen).toContain(machineId), { timeout: 10_000 });
    await tracker.sweep();
    await world.settle();

    return { job, machineId, name, core };
  };

  it('with EC2 configured: the job moves to an EC2 launch, the pod is deleted, and explain says why', async () => {
    const setup = await compose(true);
    const { job, machineId, name, core } = await podRefused(setup);
    const { world, namespace } = setup;

    const machine = world.models.machine(machineId);
    expect(machine?.unschedulable).toMatchObject({ message: SCHEDULER });
    const launches = world.dispatched.filter((c): c is ProvisionCommand => c.type === 'LaunchMachine');
    expect(launches).toHaveLength(1);
    expect(launches[0]?.data.request).toMatchObject({ backend: 'ec2', arch: 'arm64', jobId: job.jobId, attempt: 2 });
    const instances = await instancesTagged(moto, TAG_JOB_ID, job.jobId);
    expect(instances).toHaveLength(1);
    expect(world.models.job(job.jobId)).toMatchObject({ attempt: 2, backendFallback: true });
    await vi.waitFor(
      async () => expect((await core.listNamespacedPod({ namespace })).items.map((p) => p.metadata?.name)).toEqual([]),
      { timeout: 10_000 },
    );
    expect(name).toMatch(/^runs-fleet-/);

    const { detours } = await world.explain(job.jobId);
    expect(detours.join('\n')).toContain(`unschedulable since`);
    expect(detours.join('\n')).toMatch(
      /requeued .*unschedulable: runner pod unschedulable since .*Insufficient cpu.*; moved to EC2/,
    );
  });

  it('without another backend: the job fails visibly with the scheduler’s reason, and nothing is launched', async () => {
    const setup = await compose(false);
    const { job, machineId } = await podRefused(setup);
    const { world } = setup;

    expect(world.models.job(job.jobId)?.status).toBe('failed');
    const failed = (await world.store.read(`job#${job.jobId}`)).find((e) => e.type === 'JobFailed');
    expect(failed?.data).toMatchObject({ reason: 'unschedulable' });
    expect(JSON.stringify(failed?.data)).toContain('Insufficient cpu');
    expect(world.dispatched.filter((c) => c.type === 'LaunchMachine')).toEqual([]);
    expect(world.dispatched.filter((c) => c.type === 'CreateRunnerPod')).toHaveLength(1);
    expect(world.dispatched.some((c) => c.type === 'TerminateMachines' && c.data.machineIds.includes(machineId))).toBe(
      true,
    );
  });
});
