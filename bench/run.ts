/**
 * The benchmark runner (DESIGN section 7): `npm run bench [-- --json] [-- --filter <substring>]`.
 *
 * Runs every `bench/**\/*.bench.ts` module's `benchmarks` in file order. Prints a table on stdout, or with `--json`
 * one JSON object per metric per line (`{"name","value","unit","baseline"?,"ratio"?}`, ratio = baseline / value) and
 * nothing else on stdout. Progress and warnings go to stderr. Exits 1 when a benchmark fails or none matches.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { caseCollision } from './lib/metric-names.js';
import type { Benchmark, Metric } from './lib/types.js';

interface Row extends Metric {
  readonly ratio?: number;
}

interface Found {
  readonly file: string;
  readonly benchmark: Benchmark;
}

const USAGE = 'usage: npm run bench -- [--json] [--filter <substring of a benchmark name or file>]';
const benchDir = path.dirname(fileURLToPath(import.meta.url));

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const isBenchmark = (value: unknown): value is Benchmark =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Benchmark).name === 'string' &&
  typeof (value as Benchmark).run === 'function';

const discover = async (): Promise<ReadonlyArray<Found>> => {
  const files = (await readdir(benchDir, { recursive: true }))
    .filter((file) => file.endsWith('.bench.ts') && !file.split(path.sep).includes('node_modules'))
    .sort();
  const found: Found[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(benchDir, file)).href)) as { benchmarks?: unknown };
    if (!Array.isArray(module.benchmarks) || !module.benchmarks.every(isBenchmark)) {
      throw new Error(`bench/${file} must export \`benchmarks: Benchmark[]\` ({ name, run })`);
    }
    found.push(...module.benchmarks.map((benchmark: Benchmark) => ({ file: `bench/${file}`, benchmark })));
  }

  return found;
};

const problemWith = (m: Metric): string | undefined => {
  if (typeof m.name !== 'string' || m.name === '') return 'has no name';
  if (typeof m.unit !== 'string' || m.unit === '') return 'has no unit';
  if (!Number.isFinite(m.value)) return `value ${String(m.value)} is not a finite number`;
  if (m.baseline !== undefined && !Number.isFinite(m.baseline)) return `baseline ${String(m.baseline)} is not finite`;

  return undefined;
};

/** The output shape, keys in the documented order; `ratio` only where a baseline exists (and value is not 0). */
const toRow = (m: Metric): Row => {
  const ratio = m.baseline === undefined ? undefined : m.baseline / m.value;

  return {
    name: m.name,
    value: m.value,
    unit: m.unit,
    ...(m.baseline === undefined ? {} : { baseline: m.baseline }),
    ...(ratio === undefined || !Number.isFinite(ratio) ? {} : { ratio }),
  };
};

const formatNumber = (n: number | undefined): string => {
  if (n === undefined) return '';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');

  return String(Number(n.toPrecision(4)));
};

const table = (rows: ReadonlyArray<Row>): string => {
  const cells = rows.map((r) => [
    r.name,
    formatNumber(r.value),
    r.unit,
    formatNumber(r.baseline),
    formatNumber(r.ratio),
  ]);
  const all = [['metric', 'value', 'unit', 'baseline', 'ratio'], ...cells];
  const widths = all[0]!.map((_, col) => Math.max(...all.map((row) => row[col]!.length)));
  const line = (row: ReadonlyArray<string>): string =>
    row
      .map((cell, col) => (col === 0 || col === 2 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
      .join('  ')
      .trimEnd();

  return [line(all[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
};

interface Outcome {
  readonly rows: ReadonlyArray<Row>;
  /** False when the benchmark threw or reported an invalid metric (both told on stderr). */
  readonly ok: boolean;
}

/** Runs one benchmark; its valid metrics are kept even when another of its metrics is invalid. */
const runOne = async ({ file, benchmark }: Found, seen: Set<string>): Promise<Outcome> => {
  log(`> ${benchmark.name} (${file})`);
  const started = process.hrtime.bigint();
  try {
    const metrics = await benchmark.run();
    const problems = metrics.map((m) => [m, problemWith(m)] as const).filter(([, problem]) => problem !== undefined);
    for (const [m, problem] of problems) log(`  x metric ${JSON.stringify(m.name)} ${problem}`);
    for (const m of metrics) {
      const fixed = caseCollision(m.name);
      if (fixed !== undefined) log(`  ! metric "${m.name}" differs from the fixed name "${fixed}" by case only`);
      if (seen.has(m.name)) log(`  ! metric "${m.name}" is reported more than once`);
      seen.add(m.name);
    }
    log(`  done in ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);

    const valid = metrics.filter((m) => problemWith(m) === undefined);

    return { rows: valid.map(toRow), ok: problems.length === 0 };
  } catch (error) {
    log(`  x ${benchmark.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);

    return { rows: [], ok: false };
  }
};

const parseCli = (): { json: boolean; filter?: string; help: boolean } | undefined => {
  try {
    const { values } = parseArgs({
      options: { json: { type: 'boolean' }, filter: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    return {
      json: values.json === true,
      help: values.help === true,
      ...(values.filter ? { filter: values.filter } : {}),
    };
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return undefined;
  }
};

const matching = (all: ReadonlyArray<Found>, filter: string | undefined): ReadonlyArray<Found> =>
  filter === undefined
    ? all
    : all.filter(({ file, benchmark }) => benchmark.name.includes(filter) || file.includes(filter));

/** Runs the benchmarks in order, streaming JSON lines as they finish; returns every row and the number that failed. */
const runAll = async (selected: ReadonlyArray<Found>, json: boolean): Promise<{ rows: Row[]; failed: number }> => {
  const rows: Row[] = [];
  const seen = new Set<string>();
  let failed = 0;
  for (const found of selected) {
    const outcome = await runOne(found, seen);
    if (!outcome.ok) failed++;
    for (const row of outcome.rows) if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
    rows.push(...outcome.rows);
  }

  return { rows, failed };
};

const main = async (): Promise<number> => {
  const cli = parseCli();
  if (cli === undefined) return 2;
  if (cli.help) {
    log(USAGE);
    return 0;
  }
  const selected = matching(await discover(), cli.filter);
  if (selected.length === 0) {
    log(`no benchmark matches --filter ${JSON.stringify(cli.filter)}`);
    return 1;
  }
  const { rows, failed } = await runAll(selected, cli.json);
  if (!cli.json && rows.length > 0) process.stdout.write(`${table(rows)}\n`);
  if (failed > 0) log(`${failed} of ${selected.length} benchmarks failed`);

  return failed > 0 ? 1 : 0;
};

process.exitCode = await main();
