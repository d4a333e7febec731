import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { RunnerConfig, RunnerConfigStore } from '../../domain/ports/runner-config-store.js';

/**
 * The embedded runner-config store (DESIGN section 1): one JSON file per machine, `<dir>/<machineId>.json`, mode 0600
 * in a 0700 folder, written atomically (a temp file in the same folder, fsynced, renamed over the old one, the folder
 * fsynced), so an agent never reads half a config. The reference recorded in events is `file:<machineId>`: it names
 * the config, never holds it, and does not depend on where the data folder is.
 */
export const FILE_REF_PREFIX = 'file:';
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
/** Machine ids are ours (32 base32 characters); anything that could leave the folder is refused. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const StoredConfig = t.type({
  machineId: t.string,
  runnerName: t.string,
  labels: t.array(t.string),
  repo: t.union([t.string, t.null]),
  jobId: t.union([t.string, t.null]),
  encodedJitConfig: t.string,
});

export const fileRef = (machineId: string): string => `${FILE_REF_PREFIX}${machineId}`;

/** The machine id a `file:` reference names, or null for any other reference. */
export const machineIdOfRef = (ref: string): string | null =>
  ref.startsWith(FILE_REF_PREFIX) && SAFE_ID.test(ref.slice(FILE_REF_PREFIX.length))
    ? ref.slice(FILE_REF_PREFIX.length)
    : null;

const isMissing = (e: unknown): boolean =>
  typeof e === 'object' && e !== null && 'code' in e && (e as { code: unknown }).code === 'ENOENT';

export interface FileRunnerConfigStore extends RunnerConfigStore {
  readonly dir: string;
}

export const createFileRunnerConfigStore = (dir: string): FileRunnerConfigStore => {
  const pathOf = (machineId: string): string => {
    if (!SAFE_ID.test(machineId)) throw new Error(`runner config: refusing machine id ${JSON.stringify(machineId)}`);

    return join(dir, `${machineId}.json`);
  };

  let ready: Promise<void> | null = null;
  /** Creates the folder once; `mkdir`'s mode is subject to the umask and ignored for an existing folder, so chmod. */
  const ensureDir = (): Promise<void> =>
    (ready ??= (async () => {
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
      await chmod(dir, DIR_MODE);
    })().catch((e: unknown) => {
      ready = null;
      throw e;
    }));

  const syncDir = async (): Promise<void> => {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };

  return {
    dir,
    put: async (config) => {
      const target = pathOf(config.machineId);
      await ensureDir();
      const temp = join(dir, `.${config.machineId}.${randomBytes(6).toString('hex')}.tmp`);
      const stored: t.TypeOf<typeof StoredConfig> = { ...config, labels: [...config.labels] };
      const handle = await open(temp, 'wx', FILE_MODE);
      try {
        await handle.chmod(FILE_MODE);
        await handle.writeFile(JSON.stringify(stored), 'utf8');
        await handle.sync();
      } catch (e) {
        await handle.close();
        await rm(temp, { force: true });
        throw e;
      }
      await handle.close();
      await rename(temp, target);
      await syncDir();

      return fileRef(config.machineId);
    },

    get: async (machineId) => {
      const text = await readFile(pathOf(machineId), 'utf8').catch((e: unknown) => {
        if (isMissing(e)) return null;
        throw e;
      });
      if (text === null) return null;
      // Never JSON.parse's message or the validation report: both quote the file, and the file is a secret.
      const unreadable = new Error(`runner config of ${machineId}: unreadable file`);
      const parsed = E.tryCatch(
        (): unknown => JSON.parse(text),
        () => unreadable,
      );
      if (E.isLeft(parsed)) throw unreadable;
      const decoded = StoredConfig.decode(parsed.right);
      if (E.isLeft(decoded)) throw unreadable;

      return decoded.right satisfies RunnerConfig;
    },

    delete: async (machineId) => {
      await rm(pathOf(machineId), { force: true });
    },
  };
};
