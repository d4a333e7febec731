import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readLineBatches } from '../adapters/store-jsonl/index.js';
import { replayScope } from '../handlers/cli/replay-command.js';
import { openReplaySource } from '../handlers/replay/source.js';
import { JSON_PARSE_THROUGHPUT, REPLAY_THROUGHPUT } from './lib/metric-names.js';
import { writeReplayLog } from './lib/replay-history.js';
import type { Benchmark, Metric } from './lib/types.js';

/**
 * Replay throughput through the real CLI path: `replayScope` is what `runs-fleet replay --store file:… --job ID` and
 * `explain` call. The JSONL store reads the file, every event is checked, decoded by its io-ts codec, projected and
 * handed to the decisions; the job's own steps are recorded. (`--all` folds the same way but also records a step per
 * event for its one output document, which grows with the log by design.) The baseline is the same file read with
 * the same line splitter and `JSON.parse` alone, in the same run, before and after the replay; the faster of the two
 * counts, so machine noise can only make the ratio look worse. DESIGN section 7: `ratio` = baseline / value.
 */
const EVENTS = 1_000_000;
const MiB = 2 ** 20;

const parseOnly = async (path: string): Promise<number> => {
  let count = 0;
  let versions = 0;
  for await (const { lines } of readLineBatches(path)) {
    for (const line of lines) {
      if (line === '') continue;
      versions += (JSON.parse(line) as { version: number }).version;
      count += 1;
    }
  }
  if (versions < count) throw new Error('every line has a version of at least 1');
  return count;
};

const perSecond = async (run: () => Promise<number>): Promise<number> => {
  const started = performance.now();
  const count = await run();
  return count / ((performance.now() - started) / 1000);
};

/** `gc()` for this process, to tell the memory a replay keeps (its read models) from what it passes through. */
const collectGarbage = (): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
};

const say = (line: string) => process.stderr.write(`replay: ${line}\n`);

export const benchmarks: ReadonlyArray<Benchmark> = [
  {
    name: 'replay',
    run: async (): Promise<ReadonlyArray<Metric>> => {
      const gc = collectGarbage();
      const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-bench-replay-'));
      try {
        const path = join(dir, 'events.jsonl');
        say(`writing ${EVENTS} events`);
        const log = await writeReplayLog(path, EVENTS);
        say(`${log.jobs} jobs; JSON.parse baseline`);
        const parsedBefore = await perSecond(() => parseOnly(path));

        say(`replay --job ${log.jobId} through the CLI path`);
        gc();
        const heapBefore = process.memoryUsage().heapUsed;
        const rssBefore = process.memoryUsage().rss;
        let rssPeak = rssBefore;
        const sampler = setInterval(() => {
          rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        }, 20);
        const started = performance.now();
        const source = await openReplaySource(`file:${path}`);
        const result = await replayScope(source, { kind: 'job', jobId: log.jobId }, {});
        await source.close();
        const seconds = (performance.now() - started) / 1000;
        clearInterval(sampler);
        const rssAfter = process.memoryUsage().rss;
        rssPeak = Math.max(rssPeak, rssAfter);
        gc();
        const retained = process.memoryUsage().heapUsed - heapBefore;
        if (result.folded !== EVENTS || result.steps.length === 0) throw new Error('the replay did not fold the log');
        const views = result.models.jobs.size + result.models.machines.size;
        say(`folded ${result.folded} events in ${seconds.toFixed(1)} s; ${views} views kept`);

        say('JSON.parse baseline again');
        const parsedAfter = await perSecond(() => parseOnly(path));
        const baseline = Math.max(parsedBefore, parsedAfter);
        const value = result.folded / seconds;

        return [
          { name: REPLAY_THROUGHPUT, value: Math.round(value), unit: 'events/s', baseline: Math.round(baseline) },
          { name: `${JSON_PARSE_THROUGHPUT}.replay_lines`, value: Math.round(baseline), unit: 'events/s' },
          { name: 'replay.events', value: result.folded, unit: 'events' },
          { name: 'replay.rss_growth', value: Math.round((rssAfter - rssBefore) / MiB), unit: 'MiB' },
          { name: 'replay.rss_peak_growth', value: Math.round((rssPeak - rssBefore) / MiB), unit: 'MiB' },
          // What stays after the run: the read models (a view per job and machine), the state a replay ends in.
          { name: 'replay.heap_retained', value: Math.round(retained / MiB), unit: 'MiB' },
          { name: 'replay.retained_per_view', value: Math.round(retained / views), unit: 'bytes' },
        ];
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
