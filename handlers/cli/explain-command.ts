import type { Command } from 'commander';
import { explainJob, renderExplanation } from '../replay/explain.js';
import { withSource, type ReplayCliIo } from '../replay/run.js';
import { replayScope } from './replay-command.js';
import { STORE_URL_FORMS } from './store-url.js';

const HELP = `
Explains one job in plain language from its events: the latency breakdown (queued, runner requested, machine
launched, runner registered, job started, completed, each with the time since the previous one) and every detour
(requeues with their reason, launch failures with the error class and the types tried, rejections, runners taken by
another job).

${STORE_URL_FORMS}

Exit 0: explained; 2: the store was refused or unreachable; 3: no such job.

Example:
  $ runs-fleet explain --store sqlite:./data/events.db --job 123
`;

export const registerExplainCommand = (program: Command, io: ReplayCliIo): Command =>
  program
    .command('explain')
    .description('explain in plain language why a job took as long as it did')
    .requiredOption('--store <url>', 'the store to read (sqlite:, dynamodb://, file:….jsonl)')
    .requiredOption('--job <id>', 'the GitHub job id')
    .option('--json', 'print the explanation as one JSON object')
    .addHelpText('after', HELP)
    .action(async (options: { store: string; job: string; json?: boolean }) => {
      await withSource('explain', io, options.store, async (source) => {
        const result = await replayScope(source, { kind: 'job', jobId: options.job }, {});
        const explanation = explainJob(options.job, result);
        io.stdout(options.json === true ? `${JSON.stringify(explanation)}\n` : renderExplanation(explanation));
      });
    });
