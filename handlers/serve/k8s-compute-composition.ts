import { createSimCloud } from '../../adapters/sim/index.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import { reconcileMachines } from '../app/reconcile-machines.js';
import type { ComputeComposition, ComputeDeps } from './compute-composition.js';
import type { ServeConfig } from './config.js';
import { githubApp } from './github-app.js';
import { openEc2Compute } from './ec2-composition.js';
import { openK8sBackend, type K8sBackend } from './k8s-composition.js';
import { createObservationRecorder } from './record-observation.js';
import { trackUnschedulablePods } from './unschedulable-pods.js';
import { backendOfMachine, routeCompute, routeRunnerConfigs } from './routed-compute.js';

/**
 * `--compute k8s` (runner pods only) and `--compute ec2+k8s` (both; each job on the backend its label names). The
 * Kubernetes client opens asynchronously (it reads the pod template file); calls made before wait for it, so the
 * service starts without blocking on the cluster, and the pod watch starts once it is open.
 */
const deferredCompute = (ready: Promise<K8sBackend>): Required<ComputePort> => ({
  findByCommandId: async (commandId) => (await ready).compute.findByCommandId(commandId),
  launch: async (command) => (await ready).compute.launch(command),
  terminate: async (machineIds, reason) => (await ready).compute.terminate(machineIds, reason),
  start: async (machineIds) => (await ready).compute.start(machineIds),
  stop: async (machineIds) => (await ready).compute.stop(machineIds),
  listManaged: async () => (await ready).compute.listManaged?.() ?? [],
});

const deferredConfigs = (ready: Promise<K8sBackend>): RunnerConfigStore => ({
  put: async (config) => (await ready).configs.put(config),
  get: async (machineId) => (await ready).configs.get(machineId),
  delete: async (machineId) => (await ready).configs.delete(machineId),
});

export const openK8sCompute = (config: ServeConfig, deps: ComputeDeps): ComputeComposition => {
  const { logger } = deps;
  if (config.k8s === null || config.github === null) {
    throw new Error(`--compute ${config.compute} needs RUNS_FLEET_K8S_RUNNER_IMAGE and a GitHub App`);
  }
  const record = createObservationRecorder(deps.store, deps.now);
  const unschedulable = trackUnschedulablePods({
    deadlineMs: config.k8sUnschedulableSeconds * 1000,
    now: Date.now,
    record,
    logger,
  });
  const ready = openK8sBackend(config.k8s, {
    logger,
    report: record,
    onUnschedulable: (event) => {
      unschedulable.seen(event);
      deps.onUnschedulable?.(event);
    },
  });
  ready
    .then((backend) => backend.start())
    .catch((error: unknown) => logger.error({ err: error }, 'the Kubernetes backend could not start'));
  const pods = deferredCompute(ready);
  const secrets = deferredConfigs(ready);
  const ec2 = config.compute === 'ec2+k8s' ? openEc2Compute(config, deps) : null;
  const compute = ec2 === null ? pods : routeCompute(ec2.compute, pods);
  const configs =
    ec2 === null ? secrets : routeRunnerConfigs({ ec2: ec2.configs, k8s: secrets }, backendOfMachine(deps.store));
  const github = ec2?.github ?? githubApp(config.github, logger);
  // Nothing is simulated here: it only keeps `RunningService.sim` meaningful (and empty).
  const sim = ec2?.sim ?? createSimCloud({ report: async () => undefined, seed: 0 });

  return {
    compute,
    github,
    configs,
    sim,
    observe: () => undefined,
    recover: (models) => reconcileMachines(models, compute, record),
    close: () => {
      unschedulable.stop();
      ec2?.close();
      if (ec2 === null) sim.close();
      void ready.then((backend) => backend.close()).catch(() => undefined);
    },
  };
};
