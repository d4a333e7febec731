import { main } from '../../handlers/cli/main.js';

/** Runs the `runs-fleet` CLI in-process and captures what it writes, for tests of its commands. */
export const runCli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'runs-fleet', ...args], {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });

  return { code, stdout, stderr };
};
