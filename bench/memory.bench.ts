/**
 * Memory of the service holding 10,000 active jobs and 500 warm-pool members (DESIGN section 7), measured in a child
 * process with a fresh heap (bench/lib/memory-child.ts). The store holds 10,000 running jobs (each on its launched,
 * configured, running, registered machine) and 500 idle pool members, recorded by the real in-memory world and cloned
 * (bench/lib/memory-history.ts). The child starts the service's own store composition on it, as `serve` does at
 * start-up (views loaded, feed caught up through the pipeline, pending commands re-derived), and measures once loaded,
 * after garbage collection.
 *
 * - memory.rss.10k_jobs / memory.heap.10k_jobs: MiB (`process.memoryUsage()` rss and heapUsed). `baseline` is the same
 *   process with every module loaded but before the composition opened, so `ratio` (baseline / value) says how much
 *   of the figure the 10,500 entities are.
 * Extras: the heap per active job (KiB: loaded heap over the baseline, divided by the 10,000 jobs; pool members
 * counted in), and how long the load took.
 *
 * In the figure: the read models (job, machine, pool views and indexes), the pipeline and consumer, the SQLite
 * connections and their caches. Not in it: fastify and the command executors (constant, a few MiB), and the embedded
 * simulation's own records of the machines (a production deployment on EC2 holds none). Carrying the commands out is
 * left out on purpose: the restarted embedded simulation is empty, so it would relaunch all 10,500 machines.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEMORY_HEAP_10K_JOBS, MEMORY_RSS_10K_JOBS } from './lib/metric-names.js';
import type { MemoryReport } from './lib/memory-child.js';
import { writeMemoryHistory } from './lib/memory-history.js';
import { progress, round } from './lib/latency.js';
import type { Benchmark, Metric } from './lib/types.js';

const JOBS = 10_000;
const POOL_MEMBERS = 500;
const CHILD_TIMEOUT_MS = 180_000;
const MIB = 1024 * 1024;

const log = progress('memory');
const CHILD = fileURLToPath(new URL('./lib/memory-child.ts', import.meta.url));

/** Runs the measured process; resolves with its report, rejects with its output when it fails. */
const measure = (path: string): Promise<MemoryReport> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', CHILD, path, String(JOBS), String(POOL_MEMBERS)],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`memory child exited ${String(code ?? signal)}:\n${stderr}${stdout}`));

        return;
      }
      resolve(JSON.parse(line) as MemoryReport);
    });
  });

const run = async (): Promise<ReadonlyArray<Metric>> => {
  const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-bench-memory-'));
  try {
    const writing = performance.now();
    const path = join(dir, 'events.db');
    await writeMemoryHistory(path, JOBS, POOL_MEMBERS);
    const seconds = ((performance.now() - writing) / 1000).toFixed(1);
    log(`wrote ${JOBS} active jobs and ${POOL_MEMBERS} pool members in ${seconds} s`);
    const report = await measure(path);
    const mib = (bytes: number) => round(bytes / MIB, 1);
    log(
      `${report.activeJobs} of ${report.jobs} jobs running, ${report.runningMachines} of ${report.machines} machines ` +
        `running, ${report.dispatched} commands derived, loaded in ` +
        `${report.loadSeconds.toFixed(1)} s; rss ${mib(report.baseline.rss)} → ${mib(report.loaded.rss)} MiB, ` +
        `heap ${mib(report.baseline.heapUsed)} → ${mib(report.loaded.heapUsed)} MiB`,
    );
    if (report.activeJobs !== JOBS || report.runningMachines !== JOBS + POOL_MEMBERS)
      throw new Error(
        `the service held ${report.activeJobs} running jobs and ${report.runningMachines} running machines, ` +
          `not ${JOBS} and ${JOBS + POOL_MEMBERS}`,
      );

    return [
      { name: MEMORY_RSS_10K_JOBS, value: mib(report.loaded.rss), unit: 'MiB', baseline: mib(report.baseline.rss) },
      {
        name: MEMORY_HEAP_10K_JOBS,
        value: mib(report.loaded.heapUsed),
        unit: 'MiB',
        baseline: mib(report.baseline.heapUsed),
      },
      {
        name: 'memory.heap.per_active_job',
        value: round((report.loaded.heapUsed - report.baseline.heapUsed) / JOBS / 1024, 2),
        unit: 'KiB',
      },
      { name: 'memory.load_seconds.10k_jobs', value: round(report.loadSeconds, 1), unit: 's' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export const benchmarks: Benchmark[] = [{ name: 'memory', run }];
