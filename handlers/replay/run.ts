import { JsonlLineError } from '../../adapters/store-jsonl/index.js';
import { openReplaySource, StoreUnavailableError, type ReplaySource } from './source.js';
import { ImportRefusedError, OutputError } from './transfer.js';

/** Exit codes shared by `events`, `replay` and `explain`. */
export const EXIT_DIFFERS = 1;
/** The store could not be opened or read, the input file is malformed, or the import was refused. */
export const EXIT_REFUSED = 2;
/** The job or stream asked for is not in the store. */
export const EXIT_NOT_FOUND = 3;

export interface ReplayCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly setExitCode: (code: number) => void;
  /** Progress on stderr; default: when stderr is a terminal. */
  readonly progress?: boolean;
}

export class NotFoundError extends Error {}

/** Opens the store, runs `body`, closes it; expected failures become a message on stderr and an exit code. */
export const withSource = async (
  command: string,
  io: ReplayCliIo,
  storeUrl: string,
  body: (source: ReplaySource) => Promise<void>,
  options: { readonly create?: boolean } = {},
): Promise<void> => {
  const fail = (code: number, message: string) => {
    io.stderr(`runs-fleet ${command}: ${message}\n`);
    io.setExitCode(code);
  };
  let source: ReplaySource;
  try {
    source = await openReplaySource(storeUrl, options);
  } catch (error) {
    if (error instanceof StoreUnavailableError) return fail(EXIT_REFUSED, error.message);
    throw error;
  }
  try {
    await body(source);
  } catch (error) {
    if (error instanceof NotFoundError) return fail(EXIT_NOT_FOUND, error.message);
    if (error instanceof JsonlLineError) return fail(EXIT_REFUSED, `${storeUrl}: ${error.message}`);
    if (error instanceof StoreUnavailableError || error instanceof ImportRefusedError || error instanceof OutputError)
      return fail(EXIT_REFUSED, error.message);
    throw error;
  } finally {
    await source.close();
  }
};
