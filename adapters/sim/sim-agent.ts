import type { Observation } from '../../domain/machine/machine-decide.js';
import type { RunnerConfig, RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import type { SimJob } from './github-payloads.js';
import { jittered, type Random } from './random.js';
import type { SimGithubRunnerSide } from './sim-github.js';
import { errorMessage, type SimLogger } from './sim-log.js';
import { sleep } from './timers.js';

/**
 * THE SIMULATED AGENT: what runs on a simulated machine, shaped like the real agent (SPEC section 7) so the
 * orchestrator meets the same sequence: standby (poll the runner-config store for this machine's config), register
 * with the (simulated) GitHub, take a job, run it, report, terminate the machine. There is no runner process and no
 * workflow step: a job "runs" for `jobDurationMs` ± jitter. Which job it runs is GitHub's choice, by labels, and may
 * be a sibling's (SPEC lesson 1), exactly as with real ephemeral runners.
 */
export interface SimAgentTiming {
  /** Standby: how long the agent waits for its runner config before it exits. */
  readonly configWaitMs: number;
  /** How long a registered runner waits for a job before it exits. */
  readonly idleTimeoutMs: number;
  readonly jobDurationMs: number;
  /** ± fraction of jobDurationMs, drawn from the seeded random. */
  readonly jobJitter: number;
  readonly pollIntervalMs: number;
}

export interface SimAgentOptions {
  readonly machineId: string;
  readonly runnerConfigs: RunnerConfigStore;
  readonly github: SimGithubRunnerSide;
  readonly random: Random;
  readonly logger: SimLogger;
  readonly timing: SimAgentTiming;
  /** Lifecycle reports (RunnerRegistered); the machine queues and retries them. */
  readonly report: (observation: Observation) => void;
  /** Called when a job starts (the cloud schedules a decided spot interruption inside the job). */
  readonly onJobStarted: (job: SimJob, durationMs: number) => void;
  /** The agent's last act: the machine terminates itself with this reason. */
  readonly exit: (reason: SimAgentExit) => void;
  /** The cloud closed: the agent just stops, without concluding anything. */
  readonly closed: AbortSignal;
}

export type SimAgentExit = 'job-finished' | 'runner-idle' | 'runner-never-configured' | 'runner-registration-failed';

export interface SimAgent {
  readonly done: Promise<void>;
  currentJobId(): string | null;
  /** The machine is going away (terminated, stopped, interrupted): a running job is lost and GitHub concludes failure. */
  stop(): void;
}

export const startSimAgent = (options: SimAgentOptions): SimAgent => {
  const { machineId, github, timing } = options;
  const aborted = new AbortController();
  const signal = AbortSignal.any([aborted.signal, options.closed]);
  const log = options.logger;
  let runnerName: string | null = null;
  let job: SimJob | null = null;

  const waitForConfig = async (): Promise<RunnerConfig | null> => {
    const deadline = Date.now() + timing.configWaitMs;
    let warned = false;
    while (!signal.aborted) {
      const config = await options.runnerConfigs.get(machineId).catch((e: unknown) => {
        // The real agent keeps polling through every error (SPEC section 7).
        if (!warned)
          log.warn({ machineId, err: errorMessage(e) }, 'simulated agent: runner-config read failed; polling on');
        warned = true;

        return null;
      });
      if (config !== null) return config;
      if (Date.now() >= deadline) return null;
      await sleep(Math.min(timing.pollIntervalMs, Math.max(1, deadline - Date.now())), signal);
    }

    return null;
  };

  const waitForJob = async (config: RunnerConfig): Promise<SimJob | null> => {
    const deadline = Date.now() + timing.idleTimeoutMs;
    while (!signal.aborted) {
      const taken = github.takeJob(config.runnerName, config.labels);
      if (taken !== null) return taken;
      if (Date.now() >= deadline) return null;
      await sleep(Math.min(timing.pollIntervalMs, Math.max(1, deadline - Date.now())), signal);
    }

    return null;
  };

  const runJob = async (config: RunnerConfig, taken: SimJob): Promise<boolean> => {
    job = taken;
    const durationMs = jittered(options.random, timing.jobDurationMs, timing.jobJitter);
    const sibling = config.jobId !== null && config.jobId !== taken.id;
    log.info(
      {
        machineId,
        runnerName: config.runnerName,
        jobId: taken.id,
        launchedForJobId: config.jobId,
        sibling,
        durationMs,
      },
      sibling
        ? "simulated runner took a sibling's job (GitHub dispatch is label-matched)"
        : 'simulated runner took a job',
    );
    options.onJobStarted(taken, durationMs);
    await sleep(durationMs, signal);
    if (signal.aborted) return false;
    job = null;
    github.completeJob(taken.id, 'success');

    return true;
  };

  const run = async (): Promise<void> => {
    const config = await waitForConfig();
    if (signal.aborted) return;
    if (config === null) return options.exit('runner-never-configured');
    const registered = github.registerRunner({
      encodedJitConfig: config.encodedJitConfig,
      runnerName: config.runnerName,
      labels: config.labels,
      repo: config.repo,
    });
    if (!registered.ok) {
      log.error(
        { machineId, runnerName: config.runnerName, reason: registered.reason },
        'simulated runner could not register',
      );

      return options.exit('runner-registration-failed');
    }
    runnerName = config.runnerName;
    options.report({
      type: 'RunnerRegistered',
      data: { runnerName: config.runnerName, runnerId: registered.runnerId },
    });
    const taken = await waitForJob(config);
    if (signal.aborted) return;
    if (taken === null) {
      github.runnerExited(config.runnerName);

      return options.exit('runner-idle');
    }
    if (await runJob(config, taken)) options.exit('job-finished');
  };

  const done = run().catch((e: unknown) => {
    log.error({ machineId, err: errorMessage(e) }, 'simulated agent crashed');
  });

  return {
    done,
    currentJobId: () => job?.id ?? null,
    stop: () => {
      if (signal.aborted) return;
      aborted.abort();
      if (job !== null) {
        log.warn({ machineId, jobId: job.id }, 'simulated machine went away mid-job: GitHub concludes failure');
        github.completeJob(job.id, 'failure');
        job = null;
      }
      if (runnerName !== null) github.runnerExited(runnerName);
    },
  };
};
