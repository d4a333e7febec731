// `npm run soak -- --jobs N --seed S [--orchestrators K] [--kills K] [--rate J] [--dir D]`: the fault-injection soak
// (soak/soak.ts) against a DynamoDB Local it starts and stops. Exit 1 when anything was lost, launched twice or left
// running; the last line is `SOAK LOST=<n> DUPLICATE=<n> ORPHAN=<n> JOBS=<n>`.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../test/harness/dynamodb-local.js';
import { defaultOptions, type SoakOptions } from './options.js';
import { formatReport } from './report.js';
import { isClean, ORCHESTRATOR_ENTRY, runSoak } from './soak.js';

const whole = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`--${name} ${text}: expected a whole number`);

  return Number(text);
};

const optionsFrom = (argv: ReadonlyArray<string>): SoakOptions => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      jobs: { type: 'string' },
      seed: { type: 'string' },
      orchestrators: { type: 'string' },
      kills: { type: 'string' },
      rate: { type: 'string' },
      dir: { type: 'string' },
    },
  });
  const jobs = whole('jobs', values.jobs, 1000);
  const seed = whole('seed', values.seed, 1);
  const dir = values.dir ?? join(tmpdir(), `runs-fleet-soak-${String(seed)}-${String(Date.now())}`);
  const base = defaultOptions(jobs, seed, dir, ORCHESTRATOR_ENTRY);

  return {
    ...base,
    orchestrators: whole('orchestrators', values.orchestrators, base.orchestrators),
    kills: whole('kills', values.kills, base.kills),
    jobsPerSecond: whole('rate', values.rate, base.jobsPerSecond),
  };
};

const log = (line: string): void => void process.stderr.write(`[soak] ${line}\n`);

const main = async (): Promise<number> => {
  const options = optionsFrom(process.argv.slice(2));
  log(`seed ${String(options.seed)}, ${String(options.jobs)} jobs; logs in ${options.dir}`);
  const dynamodb = await startDynamoDbLocal();
  try {
    const result = await runSoak(options, dynamodb.endpoint, log);
    for (const line of formatReport(result)) process.stdout.write(`${line}\n`);

    return isClean(result.verdict) ? 0 : 1;
  } finally {
    await dynamodb.stop();
  }
};

process.exitCode = await main();
