/**
 * The measured process of bench/memory.bench.ts (run with `node --expose-gc --import tsx`: a fresh heap). It loads the
 * modules, collects garbage and takes the baseline; then opens the service's own embedded store composition
 * (`openSqliteComposition`, what `startService` opens: SQLite events and views, the read models, the feed consumer and
 * the pipeline) on the prepared data folder and starts it as the service does (views loaded, feed caught up, pending
 * commands re-derived), collects garbage again and takes the loaded figures. Commands go to a bus that only counts
 * them: carrying them out would relaunch every machine (the simulated cloud of a restarted embedded service is empty).
 * Prints one JSON line (MemoryReport) on stdout.
 *
 * Usage: memory-child.ts <events.db> <jobs> <poolMembers>
 */
import type { CommandBus } from '../../domain/ports/command-bus.js';
import { openSqliteComposition } from '../../handlers/serve/sqlite-composition.js';
import { discardingLogger } from './embedded-service.js';

export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
}

export interface MemoryReport {
  readonly baseline: MemorySample;
  readonly loaded: MemorySample;
  readonly jobs: number;
  /** Jobs running on their machine. */
  readonly activeJobs: number;
  readonly machines: number;
  readonly runningMachines: number;
  /** Commands the catch-up and resume derived (counted, not carried out). */
  readonly dispatched: number;
  readonly loadSeconds: number;
}

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('run with node --expose-gc');
  // Twice: the first pass can leave garbage that only becomes collectable after finalisers ran.
  collect();
  collect();
};

const SETTLE_MS = 1_000;

/**
 * After collecting, V8 hands freed pages back to the system lazily (compiling the module graph under tsx leaves a lot
 * of them); a pause and a second collection let RSS settle, so baseline and loaded figures are taken alike.
 */
const sample = async (): Promise<MemorySample> => {
  gc();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  gc();
  const { rss, heapUsed } = process.memoryUsage();

  return { rss, heapUsed };
};

const main = async (): Promise<void> => {
  const [path, jobsText, poolText] = process.argv.slice(2);
  if (path === undefined || jobsText === undefined || poolText === undefined)
    throw new Error('usage: memory-child.ts <events.db> <jobs> <poolMembers>');
  let dispatched = 0;
  const bus: CommandBus = { dispatch: async (commands) => void (dispatched += commands.length) };

  const baseline = await sample();
  const started = performance.now();
  const composition = await openSqliteComposition(
    path,
    { defaultBackend: 'ec2' },
    { logger: discardingLogger(), now: () => new Date().toISOString() },
  );
  try {
    await composition.start(bus, {});
    const loadSeconds = (performance.now() - started) / 1000;
    const { models } = composition;
    let jobs = 0;
    let active = 0;
    for (const id of models.jobIds()) {
      jobs++;
      if (models.job(id)?.status === 'running') active++;
    }
    let running = 0;
    for (const machine of models.machines.values()) if (machine.status === 'running') running++;
    const report: MemoryReport = {
      baseline,
      loaded: await sample(),
      jobs,
      activeJobs: active,
      machines: models.machines.size,
      runningMachines: running,
      dispatched,
      loadSeconds,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await composition.stop();
    await composition.close();
  }
};

await main();
