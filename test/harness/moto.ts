/**
 * moto harness (DESIGN section 5): AWS's APIs we use beyond DynamoDB (SQS, later EC2, EventBridge, SSM) from moto in
 * server mode. moto is installed once into a virtualenv in the user cache, started on a free loopback port when the
 * first test file needs it (`emulator-process.ts`, lazy start), and stopped when the run ends (also when it is
 * interrupted or killed).
 *
 * Node-only on purpose (`.ci/prepare` imports it outside vitest); test files use `moto-client.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { TestProject } from 'vitest/node';
import { ensureCached, type CacheEntry } from './cache-build.js';
import {
  answersHttp,
  endpointConfig,
  runsFleetCacheDir,
  serveLazyEmulator,
  startEmulator,
  type RunningEmulator,
} from './emulator-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test files ask for this run's moto server (`emulator-process.ts`, lazy start). */
    motoControl: string;
  }
}

export const MOTO_VERSION = '5.2.5';
const MOTO_REQUIREMENT = `moto[server]==${MOTO_VERSION}`;
const PYTHON_PACKAGES_HINT = 'python3 python3-venv';
const MARKER = '.runs-fleet-moto';
const BUILD_PREFIX = '.moto-venv-build-';
const START_TIMEOUT_MS = 60_000;

export const motoVenvDir = (): string => join(runsFleetCacheDir(), 'moto-venv');

/** The virtualenv is complete when its marker names the pinned requirement (written last, before the rename). */
const isComplete = (dir: string): boolean => {
  try {
    return existsSync(join(dir, 'bin', 'python')) && readFileSync(join(dir, MARKER), 'utf8') === MOTO_REQUIREMENT;
  } catch {
    return false;
  }
};

const run = (cmd: string, args: ReadonlyArray<string>, hint = ''): void => {
  const r = spawnSync(cmd, [...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}${hint}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr + r.stdout).slice(-2000)}${hint}`);
  }
};

const assertPython = (): void => {
  const r = spawnSync('python3', ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `moto needs Python 3 with venv, and \`python3 -c "import venv, ensurepip"\` failed ` +
        `(${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`}). ` +
        `Install them: apt-get install -y ${PYTHON_PACKAGES_HINT}`,
    );
  }
};

/**
 * Makes sure the virtualenv with the pinned moto is in the cache (test/harness/cache-build.ts: built once, atomically).
 * A virtualenv moved after its creation keeps working when run as `<venv>/bin/python -m ...` (only the scripts' `#!`
 * lines name the build folder), so we never run its scripts directly.
 */
export const ensureMotoVenv = async (): Promise<CacheEntry> => {
  if (!isComplete(motoVenvDir())) assertPython();

  return ensureCached({
    dir: motoVenvDir(),
    tempPrefix: BUILD_PREFIX,
    staleMs: 30 * 60_000,
    isComplete,
    build: async (tmp) => {
      const venv = join(tmp, 'venv');
      run(
        'python3',
        ['-m', 'venv', venv],
        ` (install ${PYTHON_PACKAGES_HINT}: apt-get install -y ${PYTHON_PACKAGES_HINT})`,
      );
      const python = join(venv, 'bin', 'python');
      run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', MOTO_REQUIREMENT]);
      run(python, ['-c', 'import moto.server']);
      await writeFile(join(venv, MARKER), MOTO_REQUIREMENT);

      return venv;
    },
  });
};

export type Moto = RunningEmulator;

/**
 * Installs (once) and starts `moto_server` on a free loopback port; resolves when it answers. A missing `python3` or
 * `venv` is an error naming the Debian packages to install, never a skip.
 */
export const startMoto = async (): Promise<Moto> => {
  const install = await ensureMotoVenv();
  if (install.built) {
    process.stderr.write(`[moto] installed ${MOTO_REQUIREMENT} into ${install.dir} in ${install.ms.toFixed(0)} ms\n`);
  }

  return startEmulator({
    name: 'moto',
    // = `<venv>/bin/moto_server -H 127.0.0.1 -p <port>`, without the script's `#!` line (see ensureMotoVenv).
    command: join(install.dir, 'bin', 'python'),
    args: (port) => ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
    answers: (endpoint) => answersHttp(`${endpoint}/moto-api/`),
    startTimeoutMs: START_TIMEOUT_MS,
  });
};

/** The SDK clients tests use against moto: dummy credentials, region `us-east-1`, the given (or awaited) endpoint. */
export const createMotoClients = (
  endpoint: string | (() => Promise<string>),
): { readonly sqs: SQSClient; readonly ec2: EC2Client; readonly ssm: SSMClient } => {
  const common = {
    endpoint: endpointConfig(endpoint),
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 3,
  };

  return { sqs: new SQSClient(common), ec2: new EC2Client(common), ssm: new SSMClient(common) };
};

/**
 * vitest globalSetup: provides the control address (`inject('motoControl')`) through which the first test file that
 * needs moto starts it (installing it first on a clean machine), once for the whole run; nothing starts in a run that
 * does not need it. Returns the teardown (stops it if it was started).
 */
export const setupMoto = async (project: Pick<TestProject, 'provide'>): Promise<() => Promise<void>> => {
  const lazy = await serveLazyEmulator('moto', startMoto);
  project.provide('motoControl', lazy.control);

  return () => lazy.stop();
};
