import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { rebuildReadModels, type RebuildProgress, type RebuildResult } from '../app/rebuild.js';
import { openStore, parseStoreUrl, STORE_URL_FORMS, StoreOpenError } from './store-url.js';

/** What the command needs from main: where to write, and how to report an exit code without `process.exit`. */
export interface RebuildCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly setExitCode: (code: number) => void;
  /** Progress lines on stderr; default: when stderr is a terminal. */
  readonly progress?: boolean;
}

/** The store could not be used (a bad URL, a missing file, a read-only JSONL export). */
export const EXIT_REFUSED = 2;
/** Rebuilt, but some streams are quarantined: the views lack their events until they are fixed. */
export const EXIT_QUARANTINED = 3;

const HELP = `
Rebuilds the job, machine and pool views from the event table alone (every stream, read in full; never the change
feed or DynamoDB Streams), reports what it found and writes nothing. Use it to check a store after an incident or
before a migration, and to time how long a restart's rebuild takes.

${STORE_URL_FORMS}

Output: a summary (streams, events, jobs and machines by status, quarantined streams with the reason, elapsed ms),
or with --json one JSON object. Exit 0: rebuilt; 3: rebuilt with quarantined streams; 2: the store was refused.

Examples:
  $ runs-fleet rebuild --store sqlite:./data/events.db
  $ runs-fleet rebuild --store 'dynamodb://runs-fleet-events?region=eu-west-1' --json
  $ runs-fleet rebuild --store 'dynamodb://events?region=us-east-1&endpoint=http://127.0.0.1:8000'
`;

const countBy = <T>(items: Iterable<T>, key: (item: T) => string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
};

export const summarize = (store: string, result: RebuildResult) => ({
  store,
  streams: { total: result.streams.job + result.streams.machine + result.streams.pool, ...result.streams },
  events: result.events,
  jobs: { total: result.models.jobs.size, byStatus: countBy(result.models.jobs.values(), (j) => j.status) },
  machines: {
    total: result.models.machines.size,
    byStatus: countBy(result.models.machines.values(), (m) => m.status),
  },
  quarantined: result.quarantined.map(({ streamId, version, reason }) => ({ streamId, version, reason })),
  elapsedMs: Math.round(result.elapsedMs),
});

type Summary = ReturnType<typeof summarize>;

const statusLine = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([status, n]) => `${status} ${String(n)}`)
    .join(', ') || 'none';

const render = (s: Summary): string =>
  [
    `rebuilt ${s.store} in ${String(s.elapsedMs)} ms`,
    `streams:  ${String(s.streams.total)} (job ${String(s.streams.job)}, machine ${String(s.streams.machine)}, ` +
      `pool ${String(s.streams.pool)}); events: ${String(s.events)}`,
    `jobs:     ${String(s.jobs.total)} (${statusLine(s.jobs.byStatus)})`,
    `machines: ${String(s.machines.total)} (${statusLine(s.machines.byStatus)})`,
    `quarantined streams: ${String(s.quarantined.length)}`,
    ...s.quarantined.map((q) => `  ${q.streamId} at version ${String(q.version)}: ${q.reason}`),
  ].join('\n') + '\n';

/** One line, rewritten in place (a terminal only: a log file would fill with carriage returns). */
const progressLine =
  (io: RebuildCommandIo) =>
  (p: RebuildProgress): void =>
    io.stderr(`\rrebuilding: ${p.category} streams ${String(p.streams)}, events ${String(p.events)}   `);

const run = async (storeUrl: string, json: boolean, io: RebuildCommandIo): Promise<void> => {
  const refuse = (message: string): void => {
    io.stderr(`runs-fleet rebuild: ${message}\n`);
    io.setExitCode(EXIT_REFUSED);
  };
  const parsed = parseStoreUrl(storeUrl);
  if (E.isLeft(parsed)) return refuse(parsed.left.message);
  let opened;
  try {
    opened = await openStore(parsed.right, { mustExist: true });
  } catch (error) {
    if (error instanceof StoreOpenError) return refuse(error.message);
    throw error;
  }
  const progress = io.progress ?? process.stderr.isTTY === true;
  try {
    const result = await rebuildReadModels({
      store: opened.store,
      // Only job and machine status are reported: the default backend does not change what a rebuild folds.
      settings: { defaultBackend: 'ec2' },
      ...(progress ? { onProgress: progressLine(io) } : {}),
    });
    if (progress) io.stderr('\n');
    const summary = summarize(storeUrl, result);
    io.stdout(json ? `${JSON.stringify(summary)}\n` : render(summary));
    if (summary.quarantined.length > 0) io.setExitCode(EXIT_QUARANTINED);
  } finally {
    await opened.close();
  }
};

/** `runs-fleet rebuild --store <url> [--json]`: rebuild the views from the table and report what they hold. */
export const registerRebuildCommand = (program: Command, io: RebuildCommandIo): Command =>
  program
    .command('rebuild')
    .description('rebuild the read models from the event table alone and summarise them')
    .requiredOption('--store <url>', 'the event store (sqlite:<path> or dynamodb://<table>?region=&endpoint=)')
    .option('--json', 'print the summary as one JSON object')
    .addHelpText('after', HELP)
    .action((options: { store: string; json?: boolean }) => run(options.store, options.json === true, io));
