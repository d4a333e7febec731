import { Command, CommanderError } from 'commander';
import { registerLabelsCommand } from './labels-command.js';
import { registerRebuildCommand } from './rebuild-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerSimCloudCommand } from './sim-cloud-command.js';
import { registerEventsCommand } from './events-command.js';
import { registerReplayCommand } from './replay-command.js';
import { registerExplainCommand } from './explain-command.js';
import { registerPoolsCommand } from './pools-command.js';

export interface CliOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Returns the exit code instead of exiting, so tests can run commands in-process; commands report theirs through setExitCode. */
export const main = async (argv: ReadonlyArray<string>, output: CliOutput = processOutput): Promise<number> => {
  let exitCode = 0;
  const io = {
    stdout: output.stdout,
    setExitCode: (code: number) => {
      exitCode = code;
    },
  };
  const program = new Command('runs-fleet')
    .exitOverride()
    .configureOutput({ writeOut: output.stdout, writeErr: output.stderr });
  registerLabelsCommand(program, io);
  registerRebuildCommand(program, { ...io, stderr: output.stderr });
  registerServeCommand(program, { ...io, stderr: output.stderr });
  registerDemoCommand(program, { ...io, stderr: output.stderr });
  registerSimCloudCommand(program, { ...io, stderr: output.stderr });
  registerEventsCommand(program, { ...io, stderr: output.stderr });
  registerReplayCommand(program, { ...io, stderr: output.stderr });
  registerExplainCommand(program, { ...io, stderr: output.stderr });
  registerPoolsCommand(program, { ...io, stderr: output.stderr });
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }

  return exitCode;
};
