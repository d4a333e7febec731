import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../handlers/observability/logger.js';
import { collectRaw, loadConfig } from '../../handlers/serve/config.js';
import { startService, type RunningService } from '../../handlers/serve/service.js';
import { generateAppKeyPair, startFakeGithub, type FakeGithub } from '../fakes/github-server.js';

/**
 * `runs-fleet serve` as a container starts it for real runners: configured from RUNS_FLEET_* settings, with a GitHub
 * App whose API is the fake GitHub (real App auth, installed for `owner`), on a free port, its logs kept for a failing
 * test to print. The service's SDK clients take credentials from the environment, which the caller sets.
 */
export interface ServeWithApp {
  readonly service: RunningService;
  readonly github: FakeGithub;
  /** Everything the service logged (level info and up). */
  readonly logs: ReadonlyArray<string>;
  close(): Promise<void>;
}

export const startServeWithApp = async (
  settings: Readonly<Record<string, string>>,
  owner: string,
): Promise<ServeWithApp> => {
  const keys = generateAppKeyPair();
  const github = await startFakeGithub({ appId: 7, publicKey: keys.publicKey, installations: { [owner]: 3456996 } });
  const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-serve-app-'));
  const logs: string[] = [];
  const cleanUp = async () => {
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const raw = collectRaw(
      {
        ...settings,
        RUNS_FLEET_GITHUB_APP_ID: '7',
        RUNS_FLEET_GITHUB_APP_PRIVATE_KEY: Buffer.from(keys.privateKeyPem).toString('base64'),
        RUNS_FLEET_GITHUB_API_URL: github.url,
      },
      { port: '0', host: '127.0.0.1', dataDir: dir },
    );
    const config = loadConfig(raw);
    if (E.isLeft(config)) throw new Error(JSON.stringify(config.left));
    const destination = new Writable({ write: (chunk, _e, done) => void (logs.push(String(chunk)), done()) });
    const service = await startService(config.right, createLogger({ level: 'info', destination }));

    return {
      service,
      github,
      logs,
      close: async () => {
        await service.close();
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
};
