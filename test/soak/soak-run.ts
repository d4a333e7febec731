import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOptions, type SoakOptions } from '../../soak/options.js';
import { formatReport } from '../../soak/report.js';
import { runSoak, type SoakResult } from '../../soak/soak.js';
import { dynamodbReady } from '../harness/dynamodb-local-client.js';

/**
 * A small soak for the test suite: few jobs at a low rate, two orchestrators, a short quiet timeout, an empty pool, so
 * that a run takes about a minute on DynamoDB Local. The report goes to stderr when a run is not clean (or when asked).
 */
export const smallSoak = (seed: number, entry: string, change: Partial<SoakOptions> = {}): SoakOptions => ({
  ...defaultOptions(24, seed, mkdtempSync(join(tmpdir(), `runs-fleet-soak-test-${String(seed)}-`)), entry),
  orchestrators: 2,
  kills: 2,
  jobsPerSecond: 4,
  quietTimeoutMs: 45_000,
  // An empty pool: its jobs take the claim-missed path. Members would outlive a one-minute run by the scale-down
  // guards (soak/pool.ts, POOL_SETTLE_MS); `npm run soak` runs the pool with members.
  pool: { hot: 0, stopped: 0 },
  logLevel: process.env['RUNS_FLEET_TEST_LOG_LEVEL'] ?? 'warn',
  ...change,
});

export const runSmallSoak = async (options: SoakOptions): Promise<{ result: SoakResult; report: string[] }> => {
  const result = await runSoak(options, await dynamodbReady(), (line) => {
    if (process.env['RUNS_FLEET_TEST_LOG_LEVEL'] !== undefined) process.stderr.write(`[soak] ${line}\n`);
  });
  const report = [...formatReport(result)];
  if (process.env['RUNS_FLEET_TEST_LOG_LEVEL'] !== undefined) process.stderr.write(`${report.join('\n')}\n`);

  return { result, report };
};
