/**
 * JSON.parse throughput over stored-event lines: the floor any replay path pays, and the baseline of
 * `replay.throughput` (DESIGN section 7). Lines are split beforehand; only the parsing is timed.
 */
import { JSON_PARSE_THROUGHPUT } from './lib/metric-names.js';
import { median, measureSync, perSecond, sortedAscending } from './lib/stats.js';
import { syntheticEventLines } from './lib/synthetic-events.js';
import type { Benchmark } from './lib/types.js';

const EVENTS = 100_000;
const WARMUP_ROUNDS = 2;
const ROUNDS = 7;

/** Parses every line and reads a field of each, so the work cannot be optimised away. */
const parseAll = (lines: ReadonlyArray<string>): number => {
  let versions = 0;
  for (const line of lines) versions += (JSON.parse(line) as { version: number }).version;
  return versions;
};

export const benchmarks: Benchmark[] = [
  {
    name: 'json.parse',
    run: async () => {
      const lines = syntheticEventLines(EVENTS);
      const expected = parseAll(lines);
      for (let i = 1; i < WARMUP_ROUNDS; i++) parseAll(lines);
      const samples = Array.from({ length: ROUNDS }, () => {
        const { result, ms } = measureSync(() => parseAll(lines));
        if (result !== expected) throw new Error(`parsed ${result}, expected ${expected}`);
        return ms;
      });

      return [
        {
          name: JSON_PARSE_THROUGHPUT,
          value: Math.round(perSecond(EVENTS, median(sortedAscending(samples)))),
          unit: 'events/s',
        },
      ];
    },
  },
];
