import type { GithubPort, JitConfig } from '../../domain/ports/github.js';
import type { RunnerConfig, RunnerConfigStore } from '../../domain/ports/runner-config-store.js';

/**
 * In-memory GitHub and runner-config store for domain-level tests, so those tests run the real GitHub executors
 * (handlers/app/executors) instead of stand-ins. The HTTP-level fake is test/fakes/github-server.ts.
 */
export interface FakeGithub extends GithubPort {
  readonly jitConfigs: Map<string, number>;
  readonly reruns: string[];
}

export const createFakeGithub = (): FakeGithub => {
  const jitConfigs = new Map<string, number>();
  const reruns: string[] = [];
  let runnerId = 0;

  return {
    jitConfigs,
    reruns,
    generateJitConfig: async (_ref, runnerName): Promise<JitConfig> => {
      jitConfigs.set(runnerName, (jitConfigs.get(runnerName) ?? 0) + 1);
      runnerId += 1;

      return { runnerId, runnerName, encodedJitConfig: `fake-jit-${runnerName}` };
    },
    getJob: async () => null,
    rerunJob: async (_ref, jobId) => void reruns.push(jobId),
    listRunners: async function* () {
      // no runners are registered with the fake
    },
    deleteRunner: async () => undefined,
  };
};

export const createMemoryRunnerConfigs = (): RunnerConfigStore => {
  const configs = new Map<string, RunnerConfig>();

  return {
    put: async (config) => {
      configs.set(config.machineId, config);

      return `memory:${config.machineId}`;
    },
    get: async (machineId) => configs.get(machineId) ?? null,
    delete: async (machineId) => void configs.delete(machineId),
  };
};
