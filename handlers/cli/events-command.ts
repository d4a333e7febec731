import type { Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { JsonlLineError } from '../../adapters/store-jsonl/index.js';
import { EXIT_REFUSED, withSource, type ReplayCliIo } from '../replay/run.js';
import { parseTimeSpec } from '../replay/time-spec.js';
import { exportToFile, importJsonl } from '../replay/transfer.js';
import { STORE_URL_FORMS } from './store-url.js';

const HELP = `
export writes the events of a store (or of one stream, or those since a time) to a JSONL file, one
{"streamId","version","type","data","metadata"} object per line, in the store's order (SQLite: commit order;
DynamoDB: by time, stream, version; JSONL: file order). It streams: memory stays flat however large the store.

import reads such a file into an EMPTY store, or one an earlier import made (marked replay-only), so an import can
never feed a store a running orchestrator consumes. The whole file is checked first; a malformed line is reported
with its line number and nothing is written.

${STORE_URL_FORMS}

Times (--since) are ISO 8601 (2026-11-27T12:00:00Z) or relative to now: -15m, -2h, -1d.
Exit 0: done; 2: the store was refused or unreachable, the file is malformed, or the import was refused.

Examples:
  $ runs-fleet events export --store sqlite:./data/events.db --out incident.jsonl --since -2h
  $ runs-fleet events export --store sqlite:./data/events.db --out job.jsonl --stream 'job#123'
  $ runs-fleet events import --store sqlite:/tmp/replay.db incident.jsonl
`;

const progressWriter = (io: ReplayCliIo, verb: string) => {
  const on = io.progress ?? process.stderr.isTTY === true;
  return on ? (events: number) => io.stderr(`\r${verb} ${String(events)} events   `) : undefined;
};

export const registerEventsCommand = (program: Command, io: ReplayCliIo): Command => {
  const events = program
    .command('events')
    .description('export a store to JSONL, or import JSONL into an empty (replay-only) store')
    .addHelpText('after', HELP);
  events
    .command('export')
    .description('write events to a JSONL file (streaming)')
    .requiredOption('--store <url>', 'the store to read (sqlite:, dynamodb://, file:….jsonl)')
    .requiredOption('--out <file>', 'the JSONL file to write')
    .option('--stream <id>', 'only this stream, e.g. job#123')
    .option('--since <time>', 'only events at or after this time (ISO 8601 or -15m, -2h)')
    .addHelpText('after', HELP)
    .action(async (options: { store: string; out: string; stream?: string; since?: string }) => {
      let since: string | undefined;
      if (options.since !== undefined) {
        const parsed = parseTimeSpec(options.since);
        if (E.isLeft(parsed)) {
          io.stderr(`runs-fleet events export: --since ${parsed.left}\n`);
          return io.setExitCode(EXIT_REFUSED);
        }
        since = parsed.right;
      }
      await withSource('events export', io, options.store, async (source) => {
        const onProgress = progressWriter(io, 'exported');
        const count = await exportToFile(source, options.out, {
          ...(options.stream === undefined ? {} : { streamId: options.stream }),
          ...(since === undefined ? {} : { since }),
          ...(onProgress === undefined ? {} : { onProgress }),
        });
        if (onProgress !== undefined) io.stderr('\n');
        io.stdout(`exported ${String(count)} events from ${options.store} to ${options.out}\n`);
      });
    });
  events
    .command('import')
    .description('read a JSONL file into an empty or replay-only store (all lines checked before any write)')
    .requiredOption('--store <url>', 'the store to write (sqlite:<path>; created when missing)')
    .argument('<file>', 'the JSONL file to read')
    .addHelpText('after', HELP)
    .action(async (file: string, options: { store: string }) => {
      await withSource(
        'events import',
        io,
        options.store,
        async (target) => {
          if (target.url.kind === 'jsonl') {
            io.stderr(`runs-fleet events import: ${options.store} is a read-only JSONL export; import into sqlite:\n`);
            return io.setExitCode(EXIT_REFUSED);
          }
          const onProgress = progressWriter(io, 'imported');
          try {
            const summary = await importJsonl(target, file, onProgress === undefined ? {} : { onProgress });
            if (onProgress !== undefined) io.stderr('\n');
            io.stdout(
              `imported ${String(summary.events)} events (${String(summary.streams)} streams) from ${file} into ${options.store} (marked replay-only)\n`,
            );
          } catch (error) {
            if (!(error instanceof JsonlLineError) && !(error instanceof Error && 'code' in error)) throw error;
            io.stderr(`runs-fleet events import: ${file}: ${error.message}; nothing was written\n`);
            io.setExitCode(EXIT_REFUSED);
          }
        },
        { create: true },
      );
    });
  return events;
};
