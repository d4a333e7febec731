export { createGithubAppAdapter, DEFAULT_GITHUB_API } from './github-app-adapter.js';
export type { GithubAppAdapterOptions } from './github-app-adapter.js';
export { GithubTransientError } from './errors.js';
export type { GithubLogger } from './logger.js';
export { defaultRetryPolicy, retryDelayMs } from './retry.js';
export type { RetryPolicy, HttpFailure } from './retry.js';
export { normalizePrivateKey } from './private-key.js';
