/**
 * DynamoDB Local harness (DESIGN section 5): fetch AWS's emulator once into the user cache, start it on a free
 * loopback port, stop it when the run ends (also when it is interrupted or killed).
 *
 * Node-only on purpose: the benchmarks and `.ci/prepare` import it outside vitest, where importing `vitest` throws.
 * Test files use `dynamodb-local-client.ts` (it reads the endpoint through `inject`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the DynamoDB Local started by the global setup. */
    dynamodbEndpoint: string;
  }
}

/** The npm package that ships DynamoDB Local in its `emulator/` folder (we keep only that folder). */
export const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const JAVA_PACKAGE_HINT = 'openjdk-17-jre-headless';
const START_TIMEOUT_MS = 60_000;

export const runsFleetCacheDir = (): string =>
  join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'runs-fleet');

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

/** Temporary folders of fetches killed outright (no `finally` ran) more than 10 minutes ago. */
const removeStaleFetches = async (parent: string): Promise<void> => {
  for (const name of await readdir(parent)) {
    if (!name.startsWith(FETCH_PREFIX)) continue;
    const path = join(parent, name);
    const age = Date.now() - (await stat(path)).mtimeMs;
    if (age > 10 * 60_000) await rm(path, { recursive: true, force: true });
  }
};

export interface FetchResult {
  readonly dir: string;
  /** False when the cache was already there. */
  readonly fetched: boolean;
  readonly ms: number;
}

/**
 * Makes sure DynamoDB Local is in the cache, fetching it with `npm pack` when it is not. Atomic: everything happens in
 * a temporary folder beside the cache and lands with one rename, so an interrupted fetch leaves no half cache, and two
 * concurrent fetches both succeed (the loser's copy is thrown away).
 */
export const ensureDynamoDbLocal = async (): Promise<FetchResult> => {
  const started = performance.now();
  const dir = dynamodbLocalDir();
  if (isComplete(dir)) return { dir, fetched: false, ms: performance.now() - started };
  const parent = runsFleetCacheDir();
  await mkdir(parent, { recursive: true });
  await removeStaleFetches(parent);
  const tmp = await mkdtemp(join(parent, FETCH_PREFIX));
  try {
    run('npm', ['pack', DYNAMODB_LOCAL_PACKAGE, '--silent', '--pack-destination', tmp], tmp);
    const tarball = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${DYNAMODB_LOCAL_PACKAGE} produced no tarball in ${tmp}`);
    const extract = join(tmp, 'x');
    await mkdir(extract);
    run('tar', ['-xzf', join(tmp, tarball), '-C', extract, 'package/emulator'], tmp);
    const emulator = join(extract, 'package', 'emulator');
    if (!isComplete(emulator)) throw new Error(`${DYNAMODB_LOCAL_PACKAGE} has no emulator/DynamoDBLocal.jar`);
    await rm(dir, { recursive: true, force: true }); // an incomplete leftover from an older layout, if any
    try {
      await rename(emulator, dir);
    } catch (e) {
      if (!isComplete(dir)) throw e; // a concurrent fetch won the rename: its copy is as good as ours
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  return { dir, fetched: true, ms: performance.now() - started };
};

const assertJava = (): void => {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `DynamoDB Local needs Java 17+, and \`java\` could not run (${r.error?.message ?? `exit ${r.status}`}). ` +
        `Install it: apt-get install -y ${JAVA_PACKAGE_HINT}`,
    );
  }
};

export const freeLoopbackPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });

/** A client for DynamoDB Local: dummy credentials, `us-east-1`, no retries worth waiting for. */
export const createDynamoDbLocalClient = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });

/** A table name no other suite or run uses: `<prefix>-<random>`. */
export const freshTableName = (prefix: string): string =>
  `${prefix.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 200)}-${randomBytes(6).toString('hex')}`;

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Time from spawn to the first successful ListTables. */
  readonly startMs: number;
  stop(): Promise<void>;
}

// Every emulator this process started: killed on exit and on SIGINT/SIGTERM/SIGHUP, whatever else happens.
const live = new Set<ChildProcess>();
let hooksInstalled = false;

const killAll = (): void => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
};

const installExitHooks = (): void => {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAll();
      // Keep the default behaviour (exit) when nobody else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
};

/**
 * A watchdog that kills the emulator when this process dies even by SIGKILL: it waits for EOF on a pipe that only
 * this process holds open, which the kernel closes however we die.
 */
const spawnWatchdog = (pid: number): ChildProcess => {
  const dog = spawn('sh', ['-c', `cat >/dev/null; kill -9 ${pid} 2>/dev/null`], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: false,
  });
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();

  return dog;
};

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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const startOnce = async (dir: string, port: number): Promise<DynamoDbLocal> => {
  const started = performance.now();
  const child = spawn(
    'java',
    [
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
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: false },
  );
  if (child.pid === undefined) throw new Error('could not spawn java');
  live.add(child);
  const dog = spawnWatchdog(child.pid);
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | null = null;
  const exitedP = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exit ${code ?? signal}`;
      live.delete(child);
      dog.kill('SIGKILL');
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (exited === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedP;
      clearTimeout(timer);
    }
  };
  while (performance.now() - started < START_TIMEOUT_MS) {
    if (exited !== null) throw new Error(`DynamoDB Local stopped while starting (${exited}):\n${output}`);
    if (await answers(endpoint)) {
      for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();

      return { endpoint, port, pid: child.pid, startMs: performance.now() - started, stop };
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${START_TIMEOUT_MS} ms:\n${output}`);
};

/**
 * Fetches (once) and starts DynamoDB Local in memory on a free loopback port; resolves when it answers ListTables.
 * A missing `java` is an error naming the package to install, never a skip.
 */
export const startDynamoDbLocal = async (): Promise<DynamoDbLocal> => {
  assertJava();
  const { dir } = await ensureDynamoDbLocal();
  installExitHooks();
  let lastError: unknown;
  // The port is free when we look and taken by java a moment later; another process may slip in between: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(dir, await freeLoopbackPort());
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
};

/**
 * vitest globalSetup: start one DynamoDB Local for the whole run and hand its endpoint to test files
 * (`inject('dynamodbEndpoint')`). Returns the teardown.
 */
export const setupDynamoDbLocal = async (project: Pick<TestProject, 'provide'>): Promise<() => Promise<void>> => {
  const fetch = await ensureDynamoDbLocal();
  if (fetch.fetched) process.stderr.write(`[dynamodb-local] fetched into ${fetch.dir} in ${fetch.ms.toFixed(0)} ms\n`);
  const ddb = await startDynamoDbLocal();
  process.stderr.write(`[dynamodb-local] ${ddb.endpoint} (pid ${ddb.pid}) answered in ${ddb.startMs.toFixed(0)} ms\n`);
  project.provide('dynamodbEndpoint', ddb.endpoint);

  return () => ddb.stop();
};
