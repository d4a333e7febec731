/**
 * For test files (inside vitest only: it reads the control address the global setup provided). Node-only code imports
 * `moto.ts` instead.
 *
 * Importing this module is how a test file says it needs moto: the import asks the harness to start it (in the
 * background, once per run), and registers a file-level `beforeAll` that waits for it with a timeout long enough for
 * a first install, so no test spends its own timeout on the start. Clients made here also wait before each request.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, inject } from 'vitest';
import { askEmulator } from './emulator-process.js';
import { createMotoClients } from './moto.js';

let ready: Promise<string> | undefined;

/** Resolves with this run's moto endpoint (`http://127.0.0.1:<port>`) once it answers. */
export const motoReady = (): Promise<string> => (ready ??= askEmulator('moto', inject('motoControl')));

// Start it now (while the file's other imports load) and wait for it before the file's first test.
motoReady().catch(() => undefined);
beforeAll(async () => {
  await motoReady();
}, 600_000);

/** SDK clients on this run's moto: dummy credentials, region `us-east-1`. Destroy them when done. */
export const motoClients = (): ReturnType<typeof createMotoClients> => createMotoClients(motoReady);

/**
 * A resource name no other suite or run uses: `<prefix>-<random>` (moto is shared by every file of the run and keeps
 * its state until the run ends).
 */
export const freshName = (prefix: string, maxLength = 80): string => {
  const suffix = `-${randomBytes(6).toString('hex')}`;

  return `${prefix.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, maxLength - suffix.length)}${suffix}`;
};
