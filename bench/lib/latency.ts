/** Latency samples for the end-to-end benchmarks (stream lag, webhook ack, webhook → command). */
import { percentile, sortedAscending } from './stats.js';

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export const summarise = (samples: Iterable<number>): LatencySummary => {
  const sorted = sortedAscending(samples);

  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
};

export const describe = (s: LatencySummary): string =>
  `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(1)} ms over ${s.count}`;

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/**
 * Milliseconds on a clock that worker threads share with the main thread (`timeOrigin + now()`, sub-ms precise,
 * monotonic within a thread): what a sender in a worker and an observer in the service compare.
 */
export const sharedClockMs = (): number => performance.timeOrigin + performance.now();

/** Progress lines, on stderr only (stdout carries the results). */
export const progress =
  (tag: string) =>
  (line: string): void =>
    void process.stderr.write(`[${tag}] ${line}\n`);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 10 ms until it holds or `timeoutMs` passes; true when it held. */
export const waitUntil = async (done: () => boolean, timeoutMs: number): Promise<boolean> => {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(10);
  }

  return true;
};

/** The load average of the machine (1, 5, 15 min), for the progress log: the machine is shared and noisy. */
export const loadAverage = async (): Promise<string> => {
  const { loadavg } = await import('node:os');

  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
};
