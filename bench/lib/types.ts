/** One measured number. `ratio` (printed by the runner) = baseline / value, where a baseline exists. */
export interface Metric {
  /** Free, except that the fixed names of DESIGN section 7 (metric-names.ts) mean exactly what they say there. */
  readonly name: string;
  readonly value: number;
  /** e.g. `events/s`, `ms`, `MiB`. */
  readonly unit: string;
  /** The same quantity for a reference implementation (e.g. JSON.parse-only events/s for replay throughput). */
  readonly baseline?: number;
}

/** A benchmark file (`bench/**\/*.bench.ts`) exports `benchmarks: Benchmark[]`; `npm run bench` runs them all. */
export interface Benchmark {
  readonly name: string;
  run(): Promise<ReadonlyArray<Metric>>;
}
