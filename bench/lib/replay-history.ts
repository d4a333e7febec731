import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { INTENT } from '../../domain/process/command-builders.js';
import { commandIdFor } from '../../domain/shared/command-id.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { createWorld, type JobInput, type World } from '../../test/world/world.js';

/**
 * A large, realistic event log for the replay benchmark. Three job lives are recorded by the real in-memory world,
 * with its clock advancing as a fleet's would: a normal job (queued → launched → registered 25 s later → started →
 * completed 3 minutes later → machine terminated), a job whose spot launch fails for capacity and is re-dispatched
 * on-demand, and a job rejected for an invalid label. They are cloned with fresh job ids (and the machine ids those
 * derive), one job starting every 250 ms, so about 800 jobs are live at any time and their events interleave in time
 * order as a store records them; every job ends, so a replay's state is one view per job and machine.
 */
const TEMPLATE_JOB = '4242424242';
const FIRST_JOB = 10_000_000;
const JOB_EVERY_MS = 250;
const EPOCH_MS = Date.UTC(2026, 10, 27, 12);

type Scenario = (world: World, job: JobInput) => Promise<void>;

const runnerOf = (world: World, job: JobInput): string | null => {
  const machine = world.models.job(job.jobId)?.machineId ?? null;
  return machine === null ? null : runnerNameFor(machine);
};

const step = async (world: World, ms: number, action: () => Promise<void>): Promise<void> => {
  world.clock.advance(ms);
  await action();
  await world.settle();
};

const runs: Scenario = async (world, job) => {
  await step(world, 0, () => world.queued(job));
  const machineId = world.models.job(job.jobId)?.machineId ?? '';
  const cloudId = world.models.machine(machineId)?.cloudId ?? 'i-0';
  await step(world, 20_000, () => world.observe(machineId, { type: 'MachineRunning', data: { cloudId } }));
  await step(world, 5_000, () =>
    world.observe(machineId, { type: 'RunnerRegistered', data: { runnerName: runnerNameFor(machineId), runnerId: 1 } }),
  );
  await step(world, 2_000, () => world.started(job, runnerOf(world, job)));
  await step(world, 180_000, () => world.completed(job, 'success', runnerOf(world, job)));
};

const SCENARIOS = {
  runs,
  /** The first spot launch fails for capacity; the job is requeued and runs on-demand. */
  detour: async (world, job) => {
    world.compute.failNext({
      errorClass: 'capacity',
      message: 'InsufficientInstanceCapacity',
      typesTried: ['c8g.xlarge'],
    });
    await step(world, 0, () => world.queued(job));
    await step(world, 30_000, () => world.started(job, runnerOf(world, job)));
    await step(world, 120_000, () => world.completed(job, 'success', runnerOf(world, job)));
  },
  rejected: async (world, job) => {
    await step(world, 0, () => world.queued({ ...job, labels: ['runs-fleet=777/cpu=abc'] }));
  },
} satisfies Record<string, Scenario>;

interface Template {
  readonly events: ReadonlyArray<RecordedEvent>;
  /** Each machine's id and the version of the job event that launched it (its id derives from that cause). */
  readonly machines: ReadonlyArray<{ readonly id: string; readonly version: number }>;
  readonly startMs: number;
}

const launchedAt = (jobId: string, machineId: string): number => {
  for (let version = 1; version <= 64; version += 1)
    if (commandIdFor({ streamId: `job#${jobId}`, version }, INTENT.launch) === machineId) return version;
  throw new Error(`machine ${machineId} was not launched by job ${jobId}`);
};

const record = async (scenario: Scenario): Promise<Template> => {
  const world = createWorld();
  await scenario(world, { jobId: TEMPLATE_JOB, labels: ['runs-fleet=777/cpu=4/arch=arm64'] });
  const events = await world.store.readAfter(0, 10_000);
  const machines = events
    .filter((e) => e.type === 'MachineRequested')
    .map((e) => e.streamId.slice('machine#'.length))
    .map((id) => ({ id, version: launchedAt(TEMPLATE_JOB, id) }));
  return { events, machines, startMs: Date.parse(events[0]?.metadata.at ?? '') };
};

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const rewrite = (value: unknown, swap: (text: string) => string): unknown => {
  if (typeof value === 'string') return swap(value);
  if (Array.isArray(value)) return value.map((item) => rewrite(item, swap));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewrite(item, swap)]));
  }
  return value;
};

/** One job's lines, ids and times moved: `[ms, line]` in the template's (causal) order. */
const clone = (template: Template, jobId: string, startMs: number): Array<readonly [number, string]> => {
  const machines = template.machines.map(
    ({ id, version }) => [id, commandIdFor({ streamId: `job#${jobId}`, version }, INTENT.launch)] as const,
  );
  const shift = startMs - template.startMs;
  const swap = (text: string): string => {
    if (ISO.test(text)) return new Date(Date.parse(text) + shift).toISOString();
    let out = text.includes(TEMPLATE_JOB) ? text.replaceAll(TEMPLATE_JOB, jobId) : text;
    for (const [from, to] of machines) if (out.includes(from)) out = out.replaceAll(from, to);
    return out;
  };
  return template.events.map((event) => {
    const { position: _position, ...line } = rewrite(event, swap) as RecordedEvent;
    return [Date.parse(line.metadata.at), JSON.stringify(line)] as const;
  });
};

/** A min-heap of pending lines by time, then job, then place in the job: a store's time order, causal within a job. */
class Pending {
  private readonly items: Array<{
    readonly ms: number;
    readonly job: number;
    readonly index: number;
    readonly line: string;
  }> = [];

  get size(): number {
    return this.items.length;
  }

  peekMs(): number {
    return this.items[0]?.ms ?? Infinity;
  }

  private before(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.ms !== y.ms ? x.ms < y.ms : x.job !== y.job ? x.job < y.job : x.index < y.index;
  }

  private swap(a: number, b: number): void {
    [this.items[a], this.items[b]] = [this.items[b]!, this.items[a]!];
  }

  push(ms: number, job: number, index: number, line: string): void {
    this.items.push({ ms, job, index, line });
    for (let i = this.items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): string {
    const top = this.items[0]!;
    const last = this.items.pop()!;
    if (this.items.length > 0) {
      this.items[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.items.length && this.before(l, m)) m = l;
        if (r < this.items.length && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top.line;
  }
}

/** Which life job `n` lives: one in ten has a capacity detour, one in fifty is rejected. */
const scenarioOf = (n: number): keyof typeof SCENARIOS =>
  n % 50 === 49 ? 'rejected' : n % 10 === 9 ? 'detour' : 'runs';

export interface ReplayLog {
  /** A job that runs normally, early in the log. */
  readonly jobId: string;
  /** Jobs started in the log (the last ones cut short). */
  readonly jobs: number;
}

/** Writes `count` events to `path` as JSONL, in time order; memory is bounded by the jobs live at once. */
export const writeReplayLog = async (path: string, count: number): Promise<ReplayLog> => {
  const templates = {
    runs: await record(SCENARIOS.runs),
    detour: await record(SCENARIOS.detour),
    rejected: await record(SCENARIOS.rejected),
  };
  const out = createWriteStream(path);
  const pending = new Pending();
  let jobs = 0;
  for (let written = 0; written < count; written += 1) {
    // Start every job that begins before the next pending line, so lines come out in time order.
    while (pending.size === 0 || EPOCH_MS + jobs * JOB_EVERY_MS <= pending.peekMs()) {
      const lines = clone(templates[scenarioOf(jobs)], String(FIRST_JOB + jobs), EPOCH_MS + jobs * JOB_EVERY_MS);
      lines.forEach(([ms, line], index) => pending.push(ms, jobs, index, line));
      jobs += 1;
    }
    if (!out.write(`${pending.pop()}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');

  return { jobId: String(FIRST_JOB), jobs };
};
