import { openReplaySource } from '../handlers/replay/source.js';
import { exportToFile } from '../handlers/replay/transfer.js';

/**
 * A failed soak's evidence: the whole event log, exported as `runs-fleet events export` writes it (JSONL, one event a
 * line), for `runs-fleet replay`/`explain` on the file.
 */
export const exportEventLog = async (storeUrl: string, path: string): Promise<string> => {
  const source = await openReplaySource(storeUrl);
  try {
    await exportToFile(source, path);
  } finally {
    await source.close();
  }

  return path;
};
