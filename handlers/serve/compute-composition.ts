import { join } from 'node:path';
import type { Logger } from 'pino';
import { createFileRunnerConfigStore } from '../../adapters/runner-config-file/index.js';
import {
  createSimCloud,
  createSimCloudClient,
  createSimGithub,
  createSimGithubClient,
  createSimParameterStoreClient,
  type SimCloud,
} from '../../adapters/sim/index.js';
import type { Unschedulable } from '../../adapters/k8s/index.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { GithubPort } from '../../domain/ports/github.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import type { EventStore } from '../../domain/store/index.js';
import type { ServeConfig } from './config.js';
import { githubApp } from './github-app.js';
import { reconcileMachines } from '../app/reconcile-machines.js';
import type { ReadModels } from '../../projections/read-models.js';
import { recoverSimulation } from './recover-simulation.js';
import { openEc2Compute } from './ec2-composition.js';
import { createObservationRecorder } from './record-observation.js';
import { openK8sCompute } from './k8s-compute-composition.js';

/**
 * Where machines, runner configs and GitHub come from (`--compute`):
 *
 * - `sim` (embedded): the simulated cloud and the simulated GitHub in this process; the cloud's lifecycle reports are
 *   appended to the store here, and the simulated GitHub posts its webhooks back to this process.
 * - `ec2`: AWS (ec2-composition.ts): EC2 instances, SSM runner configs, the GitHub App, EventBridge events via SQS.
 * - `sim-remote`: the `runs-fleet sim-cloud` process several orchestrators share, over HTTP: its compute, its
 *   simulated parameter store and its simulated GitHub. That process appends its machines' lifecycle reports to the
 *   shared store itself (its `--store`), so this one records none.
 *
 * With a GitHub App configured (and `RUNS_FLEET_ALLOW_SIM_WITH_REAL_GITHUB`), GitHub is the real one: runner configs
 * are real JIT configs, and the simulated machines boot and idle (no simulated agent: nothing runs the jobs).
 */
export interface ComputeComposition {
  readonly compute: ComputePort;
  readonly github: GithubPort;
  readonly configs: RunnerConfigStore;
  /** The in-process simulated cloud; with `sim-remote` one that is never used (its machines live in the other process). */
  readonly sim: SimCloud;
  /** Tells the simulated GitHub of a webhook this service accepted (jobs posted straight to /webhook). */
  observe(payload: unknown): void;
  /**
   * After a restart: machines the cloud no longer knows end as `vanished` (their jobs are re-dispatched); the
   * embedded simulation, which restarts empty, is also told of the jobs GitHub would still hold.
   */
  recover(models: ReadModels): Promise<ReadonlyArray<string>>;
  close(): void;
}

export interface ComputeDeps {
  readonly store: EventStore;
  /** The service's own webhook secret and port: where the embedded simulated GitHub posts. */
  readonly secret: string;
  readonly port: number;
  readonly logger: Logger;
  readonly now: () => string;
  /** With Kubernetes: a runner pod the scheduler cannot place (handlers/serve/unschedulable-pods.ts). */
  readonly onUnschedulable?: (event: Unschedulable) => void;
}

/** The real GitHub, when an App is configured. */
const appGithub = (config: ServeConfig, logger: Logger): GithubPort | null =>
  config.github === null ? null : githubApp(config.github, logger);

const simOptions = (config: ServeConfig) => ({
  seed: config.sim.seed,
  bootDelayMs: config.sim.bootDelayMs,
  jobDurationMs: config.sim.jobDurationMs,
  capacityErrorRate: config.sim.capacityErrorRate,
  spotInterruptionRate: config.sim.spotInterruptionRate,
});

const REAL_GITHUB_WARNING =
  'SIMULATION with a REAL GitHub App: machines are simulated and will never run a job; runners registered at GitHub stay offline';

const embedded = (config: ServeConfig, deps: ComputeDeps): ComputeComposition => {
  const { logger } = deps;
  const configs = createFileRunnerConfigStore(join(config.dataDir, 'runner-configs'));
  const report = createObservationRecorder(deps.store, deps.now);
  const real = appGithub(config, logger);
  if (real !== null) {
    const bare = createSimCloud({ report, logger, ...simOptions(config) });
    logger.warn({ sim: true }, REAL_GITHUB_WARNING);

    return {
      compute: bare,
      github: real,
      configs,
      sim: bare,
      observe: () => undefined,
      recover: (models) => reconcileMachines(models, bare, report),
      close: () => bare.close(),
    };
  }
  const github = createSimGithub({
    webhookUrl: `http://127.0.0.1:${deps.port}/webhook`,
    webhookSecret: deps.secret,
    seed: config.sim.seed,
    logger,
  });
  const sim = createSimCloud({ report, runnerConfigs: configs, github, logger, ...simOptions(config) });
  logger.warn(
    { sim: true },
    'SIMULATION: machines are simulated (adapters/sim) and so is GitHub; no real runner will start',
  );

  return {
    compute: sim,
    github,
    configs,
    sim,
    observe: (payload) => void github.observe(payload),
    recover: async (models) => (await recoverSimulation(models, github, sim, report, deps.now)).vanished,
    close: () => {
      sim.close();
      github.close();
    },
  };
};

const remote = (url: string, config: ServeConfig, deps: ComputeDeps): ComputeComposition => {
  const { logger } = deps;
  const real = appGithub(config, logger);
  const simulated = createSimGithubClient(url);
  // Nothing is launched here: it only keeps `RunningService.sim` meaningful (and empty).
  const sim = createSimCloud({ report: async () => undefined, seed: 0 });
  logger.warn(
    { sim: true, simCloudUrl: url },
    real === null
      ? 'SIMULATION: machines and GitHub are simulated by the runs-fleet sim-cloud process; no real runner will start'
      : REAL_GITHUB_WARNING,
  );

  const compute = createSimCloudClient(url);

  return {
    compute,
    github: real ?? simulated,
    configs: createSimParameterStoreClient(url),
    sim,
    observe:
      real !== null
        ? () => undefined
        : (payload) =>
            void simulated
              .observe(payload)
              .catch((error: unknown) =>
                logger.warn({ err: error, sim: true }, 'the sim-cloud did not hear of a webhook'),
              ),
    recover: (models) => reconcileMachines(models, compute, createObservationRecorder(deps.store, deps.now)),
    close: () => sim.close(),
  };
};

export const openCompute = (config: ServeConfig, deps: ComputeDeps): ComputeComposition => {
  if (config.compute === 'ec2') return openEc2Compute(config, deps);
  if (config.compute === 'k8s' || config.compute === 'ec2+k8s') return openK8sCompute(config, deps);

  return config.compute === 'sim-remote' && config.simCloudUrl !== null
    ? remote(config.simCloudUrl, config, deps)
    : embedded(config, deps);
};
