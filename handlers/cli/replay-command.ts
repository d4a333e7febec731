import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { diffCommands } from '../replay/diff.js';
import { replay, stateOf, summarizeState, type ReplayScope, type ReplayResult } from '../replay/engine.js';
import { renderDiff, renderTable } from '../replay/render.js';
import { EXIT_DIFFERS, EXIT_REFUSED, NotFoundError, withSource, type ReplayCliIo } from '../replay/run.js';
import { namedBatches, type ReplaySource } from '../replay/source.js';
import { parseTimeSpec } from '../replay/time-spec.js';
import { STORE_URL_FORMS } from './store-url.js';

const HELP = `
Folds the store's events, in the store's order, through the orchestrator's own decode, projections and decisions,
and prints a timeline: time, time since the previous step, stream, version, event type, key fields, and under each
event (->) the commands the CURRENT code derives from it. A job's replay includes its machine streams; a pool's,
the machines launched for it.

--until stops folding at a time: the state as it was then. --verbose adds each step's view after it.
--json prints one JSON document {"events":[…],"state":{…},"commands":[…],"diff":[…]} for scripts.
--diff compares the commands derived now with those recorded as carried out (whole payloads, by commandId) and
exits 1 when they differ: a regression check of a code change against a production log.

${STORE_URL_FORMS}

Exit 0: replayed (no differences); 1: --diff found differences; 2: the store was refused or unreachable;
3: no such job, stream or pool.

Examples:
  $ runs-fleet replay --store sqlite:./data/events.db --job 123
  $ runs-fleet replay --store file:incident.jsonl --all --until 2026-11-27T12:05:00Z --json
  $ runs-fleet replay --store sqlite:./data/events.db --all --diff
`;

export interface ReplayCommandOptions {
  readonly store: string;
  readonly job?: string;
  readonly stream?: string;
  readonly pool?: string;
  readonly all?: boolean;
  readonly until?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
  readonly diff?: boolean;
}

/** `--job`, `--stream` or `--all`, exactly one; null with a message otherwise. */
export const scopeOf = (options: ReplayCommandOptions): ReplayScope | string => {
  const all = options.all === true ? 'all' : undefined;
  const given = [options.job, options.stream, options.pool, all].filter((x) => x !== undefined);
  if (given.length !== 1) return 'give exactly one of --job ID, --stream ID, --pool NAME, --all';
  if (options.pool !== undefined) return { kind: 'pool', pool: options.pool };
  if (options.job !== undefined) return { kind: 'job', jobId: options.job };
  if (options.stream !== undefined) return { kind: 'stream', streamId: options.stream };
  return { kind: 'all' };
};

export const describeScope = (scope: ReplayScope): string =>
  scope.kind === 'job'
    ? `job ${scope.jobId}`
    : scope.kind === 'stream'
      ? `stream ${scope.streamId}`
      : scope.kind === 'pool'
        ? `pool ${scope.pool}`
        : 'the store';

/** Replays a scope, or throws `NotFoundError` when it names nothing in the store. */
export const replayScope = async (
  source: ReplaySource,
  scope: ReplayScope,
  options: { readonly until?: string; readonly verbose?: boolean },
): Promise<ReplayResult> => {
  const result = await replay(() => namedBatches(source), {
    scope,
    ...(options.until === undefined ? {} : { until: options.until }),
    ...(options.verbose === true ? { verbose: true } : {}),
    ...(source.url.kind === 'dynamodb' ? { causalTies: true } : {}),
  });
  if (scope.kind !== 'all' && result.streams.size === 0) {
    const what = describeScope(scope);
    throw new NotFoundError(
      `${what} is not in ${source.name}${options.until === undefined ? '' : ` before ${options.until}`}`,
    );
  }
  return result;
};

export const registerReplayCommand = (program: Command, io: ReplayCliIo): Command =>
  program
    .command('replay')
    .description('replay a job, a stream or the whole store through the current code; --diff checks decisions')
    .requiredOption('--store <url>', 'the store to read (sqlite:, dynamodb://, file:….jsonl)')
    .option('--job <id>', 'a job and its machines')
    .option('--stream <id>', 'one stream, e.g. machine#<id>')
    .option('--pool <name>', 'a pool and the machines launched for it')
    .option('--all', 'every stream')
    .option('--until <time>', 'stop at this time (ISO 8601 or -15m, -2h)')
    .option('--json', 'print one JSON document')
    .option('--verbose', "show each step's view after it")
    .option('--diff', 'compare derived commands with those carried out; exit 1 when they differ')
    .addHelpText('after', HELP)
    .action(async (options: ReplayCommandOptions) => {
      const refuse = (message: string) => {
        io.stderr(`runs-fleet replay: ${message}\n`);
        io.setExitCode(EXIT_REFUSED);
      };
      const scope = scopeOf(options);
      if (typeof scope === 'string') return refuse(scope);
      let until: string | undefined;
      if (options.until !== undefined) {
        const parsed = parseTimeSpec(options.until);
        if (E.isLeft(parsed)) return refuse(`--until ${parsed.left}`);
        until = parsed.right;
      }
      await withSource('replay', io, options.store, async (source) => {
        const result = await replayScope(source, scope, {
          ...(until === undefined ? {} : { until }),
          ...(options.verbose === true ? { verbose: true } : {}),
        });
        const differences = options.diff === true ? diffCommands(result.steps) : [];
        if (options.json === true) {
          const events = result.steps.map(({ event: _event, commandId: _commandId, commands, ...step }) => ({
            ...step,
            commands: commands.map((c) => c.commandId),
          }));
          io.stdout(
            `${JSON.stringify({
              events,
              state: stateOf(result, scope),
              commands: result.steps.flatMap((s) => s.commands),
              ...(options.diff === true ? { diff: differences } : {}),
            })}\n`,
          );
        } else {
          io.stdout(renderTable(result.steps, options.verbose === true));
          if (options.diff === true) io.stdout(renderDiff(differences));
          else io.stdout(summarizeState(result, scope));
        }
        if (differences.length > 0) io.setExitCode(EXIT_DIFFERS);
      });
    });
