import type { Command, CommandType } from '../../domain/commands/commands.js';
import type { CommandBus, CommandExecutor } from '../../domain/ports/command-bus.js';

/**
 * The embedded command bus: runs each command's executor in this process, concurrently, retrying a throwing executor
 * with exponential backoff a bounded number of times. A command already in flight is not started twice; one that
 * finished may run again (executors are idempotent by commandId), which is what at-least-once means.
 */
export interface InProcessBusOptions {
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly onFailure?: (command: Command, error: unknown, attempt: number, final: boolean) => void;
  readonly onDone?: (command: Command, outcome: 'ok' | 'failed', ms: number) => void;
}

export interface InProcessBus extends CommandBus {
  /** Resolves when no command is running or waiting for a retry. */
  idle(): Promise<void>;
  readonly inFlight: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const createInProcessBus = (
  executors: Partial<Record<CommandType, CommandExecutor>>,
  options: InProcessBusOptions = {},
): InProcessBus => {
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const running = new Map<string, Promise<void>>();

  const run = async (command: Command, executor: CommandExecutor): Promise<void> => {
    const started = performance.now();
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      try {
        await executor(command);
        options.onDone?.(command, 'ok', performance.now() - started);

        return;
      } catch (error) {
        const final = attempt === maxAttempts;
        options.onFailure?.(command, error, attempt, final);
        if (final) break;
        await sleep(baseDelayMs * 2 ** (attempt - 1));
      }
    }
    options.onDone?.(command, 'failed', performance.now() - started);
  };

  const start = (command: Command): void => {
    const executor = executors[command.type];
    if (executor === undefined || running.has(command.commandId)) return;
    const task = run(command, executor).finally(() => running.delete(command.commandId));
    running.set(command.commandId, task);
  };

  return {
    dispatch: async (commands) => {
      for (const command of commands) start(command);
    },
    idle: async () => {
      while (running.size > 0) await Promise.all([...running.values()]);
    },
    get inFlight() {
      return running.size;
    },
  };
};
