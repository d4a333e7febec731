import * as E from 'fp-ts/lib/Either.js';
import { createWriteStream } from 'node:fs';
import { createLogger } from '../handlers/observability/logger.js';
import type { FaultInjection } from '../handlers/serve/fault-injection.js';
import { collectRaw, loadConfig } from '../handlers/serve/config.js';
import { startService } from '../handlers/serve/service.js';
import { parseKillPoint, type KillPoint } from '../test/crash/kill-points.js';
import type { ServiceFaultRates } from './options.js';
import { serviceFaults } from './service-faults.js';

/**
 * One orchestrator process of the soak: `startService` as `runs-fleet serve` runs it (configuration from the
 * RUNS_FLEET_* environment the driver sets: DynamoDB store, shared sim-cloud, in-process bus), with this life's faults
 * wired through the fault-injection port. It prints `SOAK-READY <url>` once ready and runs until killed: SIGKILL at
 * its kill point, SIGKILL from the driver, or SIGTERM at the end of the run (a graceful close).
 */
export interface OrchestratorArgs {
  readonly seed: number;
  readonly rates: ServiceFaultRates;
  /** none, launch:N, append:N (test/crash/kill-points.ts) or decided:N (killed as the Nth decision is dispatched). */
  readonly kill: string;
  readonly logPath: string;
}

export const READY_PREFIX = 'SOAK-READY ';

/** The kill point, with `decided:N` split off: it is wired on the decision hook, not on a port. */
const splitKill = (text: string): { readonly port: KillPoint; readonly decided: number | null } => {
  const decided = /^decided:([1-9][0-9]*)$/.exec(text);

  return decided === null
    ? { port: parseKillPoint(text), decided: null }
    : { port: { kind: 'none' }, decided: Number(decided[1]) };
};

const die = (): void => void process.kill(process.pid, 'SIGKILL');

/**
 * Runs one orchestrator; `compose` may add wrappers around the soak's faults (the broken-composition test puts a
 * deliberately broken part in this way, through the same port).
 */
export const runOrchestrator = async (
  args: OrchestratorArgs,
  compose: (faults: FaultInjection) => FaultInjection = (faults) => faults,
): Promise<void> => {
  const config = loadConfig(collectRaw(process.env, {}));
  if (E.isLeft(config)) throw new Error(`orchestrator configuration: ${JSON.stringify(config.left)}`);
  const logger = createLogger({
    level: config.right.logLevel,
    destination: createWriteStream(args.logPath, { flags: 'a' }),
  });
  const kill = splitKill(args.kill);
  let decisions = 0;
  const service = await startService(config.right, logger, {
    faults: compose(serviceFaults(args.seed, args.rates, kill.port)),
    onCommands: () => {
      decisions += 1;
      // Decided, not yet dispatched: the decision lives only in this process's memory when it dies.
      if (decisions === kill.decided) die();
    },
  });
  process.stdout.write(`${READY_PREFIX}${service.url}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await service.close();
};

export const orchestratorArgs = (argv: ReadonlyArray<string>): OrchestratorArgs => {
  const text = argv[2];
  if (text === undefined) throw new Error('usage: orchestrator-entry <json arguments>');

  return JSON.parse(text) as OrchestratorArgs;
};
