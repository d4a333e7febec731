/**
 * What every emulator harness shares (DESIGN section 5): the cache folder, free loopback ports, a child process that
 * cannot outlive this one, waiting until it answers, and the lazy start behind the vitest global setup.
 *
 * Lazy start: the global setup starts no emulator. It listens on a loopback "control" address (one per emulator) and
 * provides that address to test files; the first test file that asks (`GET <control>/start`) makes the main vitest
 * process install (once), spawn the emulator and wait until it answers; every later ask gets the same endpoint. A run
 * that needs no emulator (`vitest run domain/job`) therefore pays nothing, and the emulator still belongs to the main
 * process, which stops it when the run ends. Node-only: no `vitest` import (see `*-client.ts` for the test side).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const runsFleetCacheDir = (): string =>
  join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'runs-fleet');

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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

export interface RunningEmulator {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Time from spawn to the first successful answer. */
  readonly startMs: number;
  stop(): Promise<void>;
}

export interface EmulatorSpec {
  /** For messages: `DynamoDB Local`, `moto`. */
  readonly name: string;
  readonly command: string;
  readonly args: (port: number) => ReadonlyArray<string>;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** True once the emulator at `endpoint` serves requests. */
  readonly answers: (endpoint: string) => Promise<boolean>;
  readonly startTimeoutMs: number;
}

interface Watched {
  /** The last 4000 characters it wrote (it keeps being drained: a full pipe would block it). */
  tail(): string;
  /** How it ended, or null while it runs. */
  exited(): string | null;
  /** SIGTERM, then SIGKILL after 3 s; resolves once it is gone. */
  stop(): Promise<void>;
}

/** Tracks a spawned emulator: killed with this process (exit hooks, watchdog), output tail, exit. */
const watch = (child: ChildProcess, pid: number): Watched => {
  live.add(child);
  const dog = spawnWatchdog(pid);
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

  return {
    tail: () => output,
    exited: () => exited,
    stop: async () => {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedP;
      clearTimeout(timer);
    },
  };
};

const startOnce = async (spec: EmulatorSpec, port: number): Promise<RunningEmulator> => {
  const started = performance.now();
  const child = spawn(spec.command, [...spec.args(port)], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  if (child.pid === undefined) {
    child.on('error', () => undefined);
    throw new Error(`could not spawn ${spec.command} for ${spec.name}`);
  }
  const emu = watch(child, child.pid);
  const endpoint = `http://127.0.0.1:${port}`;
  while (performance.now() - started < spec.startTimeoutMs) {
    const exited = emu.exited();
    if (exited !== null) throw new Error(`${spec.name} stopped while starting (${exited}):\n${emu.tail()}`);
    if (await spec.answers(endpoint)) {
      for (const s of [child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();

      return { endpoint, port, pid: child.pid, startMs: performance.now() - started, stop: emu.stop };
    }
    await sleep(100);
  }
  await emu.stop();
  throw new Error(`${spec.name} did not answer on ${endpoint} within ${spec.startTimeoutMs} ms:\n${emu.tail()}`);
};

/** Starts the emulator on a free loopback port; resolves when it answers. Retries on another port if it loses one. */
export const startEmulator = async (spec: EmulatorSpec): Promise<RunningEmulator> => {
  installExitHooks();
  let lastError: unknown;
  // The port is free when we look and taken by the emulator a moment later; another process may slip in between.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(spec, await freeLoopbackPort());
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
};

/** True when anything answers HTTP at `url` (any status). */
export const answersHttp = async (url: string): Promise<boolean> => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();

    return true;
  } catch {
    return false;
  }
};

/**
 * An AWS SDK `endpoint` setting from a URL or from a provider of one; the SDK awaits a provider before each request,
 * which is how a client made before the emulator answers waits for it.
 */
export const endpointConfig = (endpoint: string | (() => Promise<string>)): string | (() => Promise<{ url: URL }>) =>
  typeof endpoint === 'string' ? endpoint : async () => ({ url: new URL(await endpoint()) });

/** Where a test file asks for an emulator: `GET <control>/start` answers 200 with its endpoint, or 500 and why. */
export interface LazyEmulator {
  readonly control: string;
  stop(): Promise<void>;
}

/**
 * Listens on a loopback control address and starts the emulator (with `start`) on the first ask only; later asks
 * share that start (and its failure: a missing Python or Java answers every ask with the same clear error).
 */
export const serveLazyEmulator = async (name: string, start: () => Promise<RunningEmulator>): Promise<LazyEmulator> => {
  let running: Promise<RunningEmulator> | undefined;
  const server = createHttpServer((req, res) => {
    if (req.url !== '/start') {
      res.writeHead(404).end();

      return;
    }
    running ??= start().then((emu) => {
      process.stderr.write(`[${name}] ${emu.endpoint} (pid ${emu.pid}) answered in ${emu.startMs.toFixed(0)} ms\n`);

      return emu;
    });
    running.then(
      (emu) => res.writeHead(200, { 'content-type': 'text/plain' }).end(emu.endpoint),
      (e: unknown) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(e instanceof Error ? e.message : String(e)),
    );
  });
  // An install can take minutes: never time the asking test file out on the server side.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    control: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const emu = await running?.catch(() => undefined);
      await emu?.stop();
    },
  };
};

/** The test side of `serveLazyEmulator`: asks the control address, resolves with the emulator's endpoint. */
export const askEmulator = (name: string, control: string): Promise<string> =>
  new Promise((resolve, reject) => {
    // node:http rather than fetch: fetch gives up on a response that takes minutes (a first install).
    const req = request(`${control}/start`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${name} could not start: ${body}`)),
      );
      res.on('error', reject);
    });
    req.on('error', (e) => reject(new Error(`${name}: no harness at ${control} (${e.message})`)));
    req.end();
  });
