import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { namedEvents, openReplaySource } from '../handlers/replay/source.js';
import { replay } from '../handlers/replay/engine.js';
import { JSON_PARSE_THROUGHPUT, REPLAY_THROUGHPUT } from './lib/metric-names.js';
import { writeReplayLog } from './lib/replay-history.js';
import type { Benchmark } from './lib/types.js';

/**
 * Replay throughput through the real CLI path (`runs-fleet replay --store file:… --job …`): the JSONL store reads the
 * file, every event is decoded by its io-ts codec, projected and handed to the decisions; the baseline is
 * `JSON.parse` alone over the same lines, in the same run. DESIGN section 7: `ratio` = baseline / value.
 */
const EVENTS = 1_000_000;

const parseOnly = async (path: string): Promise<number> => {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line !== '') {
      JSON.parse(line);
      count += 1;
    }
  }

  return count;
};

export const benchmarks: ReadonlyArray<Benchmark> = [
  {
    name: 'replay',
    run: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-bench-replay-'));
      try {
        const path = join(dir, 'events.jsonl');
        process.stderr.write(`replay: writing ${EVENTS} events\n`);
        const jobId = await writeReplayLog(path, EVENTS);
        process.stderr.write('replay: JSON.parse baseline\n');
        const parseStarted = performance.now();
        const parsed = await parseOnly(path);
        const parseSeconds = (performance.now() - parseStarted) / 1000;

        process.stderr.write('replay: through the replay engine\n');
        const rssBefore = process.memoryUsage().rss;
        const started = performance.now();
        const source = await openReplaySource(`file:${path}`);
        const result = await replay(() => namedEvents(source), { scope: { kind: 'job', jobId } });
        await source.close();
        const seconds = (performance.now() - started) / 1000;
        const baseline = parsed / parseSeconds;
        const value = result.folded / seconds;
        process.stderr.write(`replay: folded ${result.folded} events in ${seconds.toFixed(1)} s\n`);

        return [
          { name: REPLAY_THROUGHPUT, value: Math.round(value), unit: 'events/s', baseline: Math.round(baseline) },
          { name: `${JSON_PARSE_THROUGHPUT}.replay_lines`, value: Math.round(baseline), unit: 'events/s' },
          { name: 'replay.events', value: result.folded, unit: 'events' },
          {
            name: 'replay.rss_growth',
            value: Math.round((process.memoryUsage().rss - rssBefore) / 2 ** 20),
            unit: 'MiB',
          },
        ];
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
