import type { RunnerConfig, RunnerConfigStore } from '../../domain/ports/runner-config-store.js';

/**
 * The simulated cloud's parameter store (what SSM SecureString is on AWS): runner configs in memory, for a
 * `runs-fleet sim-cloud` process whose simulated machines cannot read an orchestrator's data folder. The configs
 * it holds are simulated JIT configs; it is still treated as secret: served on loopback only, never logged.
 */
export const createSimParameterStore = (): RunnerConfigStore & { size(): number } => {
  const configs = new Map<string, RunnerConfig>();

  return {
    put: async (config) => {
      configs.set(config.machineId, config);

      return `sim-parameter:${config.machineId}`;
    },
    get: async (machineId) => configs.get(machineId) ?? null,
    delete: async (machineId) => void configs.delete(machineId),
    size: () => configs.size,
  };
};
