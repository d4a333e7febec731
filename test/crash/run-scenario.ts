import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import { rebuildReadModels } from '../../handlers/app/rebuild.js';
import { CRASH_SETTINGS, snapshotPathFor } from './crash-files.js';
import { readLaunchLog, type LaunchLogLine } from './file-cloud.js';
import { formatKillPoint, type KillPoint } from './kill-points.js';
import { appendRound } from './workload.js';

/**
 * The parent side of the crash test: a round of workload, then a child with a kill point; again, up to the last
 * child, which runs without one to quiescence. Returns what the assertions need, read after every child is gone.
 */
export interface ChildRun {
  readonly killPoint: string;
  /** `killed`: died by SIGKILL at its kill point; `quiet`: reached quiescence first and exited 0. */
  readonly outcome: 'killed' | 'quiet';
}

export interface ScenarioResult {
  readonly runs: ReadonlyArray<ChildRun>;
  readonly launchLog: ReadonlyArray<LaunchLogLine>;
  /** The last child's read models, and a fresh rebuild from the table afterwards. */
  readonly childSnapshot: string;
  readonly rebuiltSnapshot: string;
  /** Cloud ids some machine stream recorded (launched or adopted). */
  readonly recordedCloudIds: ReadonlySet<string>;
  /** `MachineLaunched` outcomes that adopted a machine found by its commandId: crashes the lookup repaired. */
  readonly adoptedLaunches: number;
}

const ROOT = join(import.meta.dirname, '..', '..');
const CHILD = join(import.meta.dirname, 'consumer-child.ts');
const CHILD_TIMEOUT_MS = 20_000;

const runChild = (args: ReadonlyArray<string>): Promise<'killed' | 'quiet'> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CHILD_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Only the kill point SIGKILLs a child (an exception exits 1): our own timeout aside, SIGKILL means "killed".
      if (code === 0) resolve('quiet');
      else if (signal === 'SIGKILL' && !timedOut) resolve('killed');
      else
        reject(
          new Error(
            `child ${args.join(' ')} ended with ${timedOut ? 'a timeout' : String(code ?? signal)}:\n${stderr}`,
          ),
        );
    });
  });

const withStore = async <T>(
  dbPath: string,
  work: (store: Awaited<ReturnType<typeof openSqliteEventStore>>) => Promise<T>,
) => {
  const store = await openSqliteEventStore(dbPath);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
};

export const runCrashScenario = async (options: {
  readonly dir: string;
  readonly seed: number;
  readonly kills: ReadonlyArray<KillPoint>;
  readonly lookup: boolean;
}): Promise<ScenarioResult> => {
  const name = `seed-${String(options.seed)}-${options.lookup ? 'lookup' : 'no-lookup'}`;
  const dbPath = join(options.dir, `${name}.db`);
  const launchLogPath = join(options.dir, `${name}.launches.jsonl`);
  const runs: ChildRun[] = [];
  const points: ReadonlyArray<KillPoint> = [...options.kills, { kind: 'none' }];
  for (const [round, point] of points.entries()) {
    await withStore(dbPath, async (store) => {
      const { models } = await rebuildReadModels({ store, settings: CRASH_SETTINGS });
      await appendRound(store, models, options.seed, round);
    });
    const args = [dbPath, launchLogPath, formatKillPoint(point), String(options.seed)];
    const outcome = await runChild(options.lookup ? args : [...args, 'no-lookup']);
    runs.push({ killPoint: formatKillPoint(point), outcome });
  }
  const { rebuilt, events } = await withStore(dbPath, async (store) => ({
    rebuilt: await rebuildReadModels({ store, settings: CRASH_SETTINGS }),
    events: await store.readAfter(0, 1_000_000),
  }));
  const recordedCloudIds = new Set(
    [...rebuilt.models.machines.values()].flatMap((m) => (m.cloudId === null ? [] : [m.cloudId])),
  );
  return {
    runs,
    launchLog: readLaunchLog(launchLogPath),
    childSnapshot: readFileSync(snapshotPathFor(dbPath), 'utf8'),
    rebuiltSnapshot: rebuilt.models.snapshot(),
    recordedCloudIds,
    adoptedLaunches: events.filter((e) => e.type === 'MachineLaunched' && (e.data as { adopted?: boolean }).adopted)
      .length,
  };
};

/** CommandIds the cloud launched more than once. */
export const duplicateLaunches = (log: ReadonlyArray<LaunchLogLine>): ReadonlyArray<string> => {
  const counts = new Map<string, number>();
  for (const { commandId } of log) counts.set(commandId, (counts.get(commandId) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([id]) => id);
};
