import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { createSimCloudServer, createSimGithub, type SimGithub } from '../../adapters/sim/index.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createObservationRecorder } from '../serve/record-observation.js';
import { openStore, parseStoreUrl, STORE_URL_FORMS, StoreOpenError, type OpenedStore } from './store-url.js';

/** What the command needs from main; `untilShutdown` lets tests stop it (default: SIGINT or SIGTERM). */
export interface SimCloudCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly setExitCode: (code: number) => void;
  readonly untilShutdown?: () => Promise<void>;
  readonly onListening?: (url: string) => void;
}

/** A bad option, an unreadable secret file or a store that cannot be opened. */
export const EXIT_REFUSED = 2;

const HELP = `
THE SIMULATED CLOUD as its own process (nothing real is started): several orchestrators share it through
createSimCloudClient(<url>) (JSON over HTTP on 127.0.0.1). Machines boot after --boot-delay-ms; faults come from
configuration and a seeded PRNG (--seed N repeats a run; the seed used is logged).

Lifecycle reports (MachineRunning, RunnerRegistered, SpotInterruptionWarned, MachineTerminated, …) are appended by
this process to the event store named by --store; without --store they are only logged.

With --webhook-url and --webhook-secret-file the process also hosts a simulated GitHub: its machines then run the
simulated agent (poll the simulated parameter store for their runner config, take a label-matched job, run it) and
signed workflow_job webhooks go to --webhook-url. Without them, machines boot and idle until terminated.

${STORE_URL_FORMS}

Examples:
  $ runs-fleet sim-cloud --port 7070 --store 'dynamodb://events?region=us-east-1&endpoint=http://127.0.0.1:8000'
  $ runs-fleet sim-cloud --port 7070 --seed 42 --capacity-error-rate 0.3 --spot-interruption-rate 0.2 \\
      --store sqlite:./data/events.db --webhook-url http://127.0.0.1:3000/webhook \\
      --webhook-secret-file ./data/webhook-secret
`;

interface SimCloudCliOptions {
  readonly port: number;
  readonly host: string;
  readonly bootDelayMs?: number;
  readonly jobDurationMs?: number;
  readonly idleTimeoutMs?: number;
  readonly interruptionNoticeMs?: number;
  readonly capacityErrorRate?: number;
  readonly spotInterruptionRate?: number;
  readonly throttleRate?: number;
  readonly refuseTypes?: ReadonlyArray<string>;
  readonly seed?: number;
  readonly store?: string;
  readonly webhookUrl?: string;
  readonly webhookSecretFile?: string;
}

const wholeNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');

  return Number(value);
};

const fraction = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected 0..1');

  return n;
};

const list = (value: string): ReadonlyArray<string> =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const untilSignal = (): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });

const openReportStore = async (url: string | undefined): Promise<E.Either<string, OpenedStore | null>> => {
  if (url === undefined) return E.right(null);
  const parsed = parseStoreUrl(url);
  if (E.isLeft(parsed)) return E.left(parsed.left.message);
  try {
    // The store belongs to the orchestrators: a mistyped SQLite path must not become a fresh, empty store.
    return E.right(await openStore(parsed.right, { mustExist: true }));
  } catch (error) {
    if (error instanceof StoreOpenError) return E.left(error.message);
    throw error;
  }
};

const hostedGithub = async (
  options: SimCloudCliOptions,
  logger: Logger,
): Promise<E.Either<string, SimGithub | undefined>> => {
  if (options.webhookUrl === undefined && options.webhookSecretFile === undefined) return E.right(undefined);
  if (options.webhookUrl === undefined || options.webhookSecretFile === undefined) {
    return E.left('--webhook-url and --webhook-secret-file go together');
  }
  const secret = await readFile(options.webhookSecretFile, 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  if (secret === null || secret === '') return E.left(`cannot read a webhook secret from ${options.webhookSecretFile}`);

  return E.right(
    createSimGithub({
      webhookUrl: options.webhookUrl,
      webhookSecret: secret,
      logger,
      ...(options.seed === undefined ? {} : { seed: options.seed + 1 }),
    }),
  );
};

const logTo = (io: SimCloudCommandIo): Logger =>
  createLogger({
    destination: new Writable({
      write: (chunk: Buffer | string, _encoding, callback) => {
        io.stdout(chunk.toString());
        callback();
      },
    }),
  });

const run = async (options: SimCloudCliOptions, io: SimCloudCommandIo): Promise<void> => {
  const refuse = (message: string): void => {
    io.stderr(`runs-fleet sim-cloud: ${message}\n`);
    io.setExitCode(EXIT_REFUSED);
  };
  const logger = logTo(io);
  const store = await openReportStore(options.store);
  if (E.isLeft(store)) return refuse(store.left);
  const opened = store.right;
  const github = await hostedGithub(options, logger);
  if (E.isLeft(github)) {
    await opened?.close();

    return refuse(github.left);
  }
  if (opened === null) logger.warn({ sim: true }, 'no --store: simulated lifecycle reports are only logged');
  const server = createSimCloudServer({
    logger,
    // The report hook: this process appends its machines' lifecycle facts itself (the serve lifecycle handler).
    report:
      opened === null ? async () => undefined : createObservationRecorder(opened.store, () => new Date().toISOString()),
    github: github.right,
    // Options left out are undefined here and keep the simulated cloud's defaults.
    seed: options.seed,
    bootDelayMs: options.bootDelayMs,
    jobDurationMs: options.jobDurationMs,
    idleTimeoutMs: options.idleTimeoutMs,
    interruptionNoticeMs: options.interruptionNoticeMs,
    capacityErrorRate: options.capacityErrorRate,
    spotInterruptionRate: options.spotInterruptionRate,
    throttleRate: options.throttleRate,
    refuseTypes: options.refuseTypes,
  });
  try {
    const url = await server.listen(options.port, options.host);
    logger.info(
      { sim: true, url, store: options.store ?? null, github: github.right !== undefined, seed: server.cloud.seed },
      'SIMULATED cloud listening: no real machines, no real GitHub',
    );
    io.onListening?.(url);
    await (io.untilShutdown ?? untilSignal)();
  } finally {
    await server.close();
    await opened?.close();
  }
};

/** `runs-fleet sim-cloud --port P [...]`: the simulated cloud as a shared process. */
export const registerSimCloudCommand = (program: Command, io: SimCloudCommandIo): Command =>
  program
    .command('sim-cloud')
    .description('run THE SIMULATED CLOUD as its own process, shared by several orchestrators (nothing real)')
    .requiredOption('--port <n>', 'TCP port (0: any free port; the URL is logged)', wholeNumber)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--boot-delay-ms <ms>', 'pending → running (default 2000)', wholeNumber)
    .option('--job-duration-ms <ms>', 'how long a simulated job runs, ±20 % (default 3000)', wholeNumber)
    .option('--idle-timeout-ms <ms>', 'how long a runner waits for a config and for a job (default 60000)', wholeNumber)
    .option('--interruption-notice-ms <ms>', 'spot notice before termination (default 2000)', wholeNumber)
    .option('--capacity-error-rate <0..1>', 'share of spot launches refused for capacity (default 0)', fraction)
    .option('--spot-interruption-rate <0..1>', 'share of spot machines interrupted (default 0)', fraction)
    .option('--throttle-rate <0..1>', 'share of launches throttled (default 0)', fraction)
    .option('--refuse-types <types>', 'comma-separated instance types that always fail for capacity', list)
    .option('--seed <n>', 'PRNG seed (default: the clock; logged)', wholeNumber)
    .option('--store <url>', 'event store the lifecycle reports are appended to (sqlite: or dynamodb://)')
    .option('--webhook-url <url>', "host a simulated GitHub posting webhooks here (the service's /webhook)")
    .option('--webhook-secret-file <path>', 'file holding the webhook secret (never pass a secret on the command line)')
    .addHelpText('after', HELP)
    .action((options: SimCloudCliOptions) => run(options, io));
