import type { Logger } from 'pino';
import { createGithubAppAdapter } from '../../adapters/github/index.js';
import type { GithubPort } from '../../domain/ports/github.js';
import type { ServeConfig } from './config.js';

export type GithubAppSettings = NonNullable<ServeConfig['github']>;

/** The real GitHub through the configured App (every compute that starts real runners uses this one). */
export const githubApp = (app: GithubAppSettings, logger: Logger): GithubPort =>
  createGithubAppAdapter({ appId: app.appId, privateKey: app.privateKey, baseUrl: app.apiUrl, logger });
