export { createSsmRunnerConfigStore, DEFAULT_SSM_PREFIX, SSM_REF_PREFIX } from './ssm-runner-config-store.js';
export type { SsmRunnerConfigStore, SsmRunnerConfigStoreOptions } from './ssm-runner-config-store.js';
