import type { Command } from '../commands/commands.js';

/**
 * Hands commands to workers: in-process (embedded) or SQS FIFO (AWS). `dispatch` resolves once the bus has taken
 * them; carrying them out is the workers' business, at least once, idempotent by commandId.
 */
export interface CommandBus {
  dispatch(commands: ReadonlyArray<Command>): Promise<void>;
}

/** A worker for one command type; throwing means "try again later" (transient). */
export type CommandExecutor = (command: Command) => Promise<void>;
