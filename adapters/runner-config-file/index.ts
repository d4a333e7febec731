export { createFileRunnerConfigStore, fileRef, machineIdOfRef, FILE_REF_PREFIX } from './file-runner-config-store.js';
export type { FileRunnerConfigStore } from './file-runner-config-store.js';
