import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A soak child (the sim-cloud or an orchestrator), run from source with tsx: it prints `SOAK-READY <url>` on stdout
 * once it serves; its stderr goes to a log file. The caller kills it by its own pid, never by name.
 */
export interface SoakChild {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

export const ROOT = join(import.meta.dirname, '..');
const READY = /^SOAK-READY (\S+)$/;
const START_TIMEOUT_MS = 120_000;

/** The environment without RUNS_FLEET_ settings, so a child sees only those the soak gives it. */
const hermetic = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('RUNS_FLEET_')));

export const spawnSoakChild = (
  entry: string,
  args: unknown,
  options: { readonly env?: Record<string, string>; readonly stderrPath: string },
): Promise<SoakChild> => {
  const errFd = openSync(options.stderrPath, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', entry, JSON.stringify(args)], {
    cwd: ROOT,
    env: { ...hermetic(), ...options.env },
    stdio: ['ignore', 'pipe', errFd],
  });
  closeSync(errFd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not get ready in ${String(START_TIMEOUT_MS)} ms (see ${options.stderrPath})`));
    }, START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const ready = READY.exec(line.trim());
      if (ready?.[1] === undefined) return;
      clearTimeout(timer);
      resolve({ child, url: ready[1], exited });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${entry} ended before it was ready (${String(code ?? signal)}; see ${options.stderrPath})`));
    });
  });
};
