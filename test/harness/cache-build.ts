import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { runsFleetCacheDir } from './emulator-process.js';

/**
 * Builds one entry of the emulator cache (`~/.cache/runs-fleet/<name>`) once, atomically: the build happens in a
 * temporary folder beside the cache and lands with one rename, so an interrupted build leaves no half entry and two
 * concurrent builds both succeed (the loser's copy is thrown away). Temporary folders of builds that were killed
 * outright (no `finally` ran) are removed once they are older than `staleMs`.
 */
export interface CacheEntry {
  readonly dir: string;
  /** False when the entry was already there. */
  readonly built: boolean;
  readonly ms: number;
}

export interface CacheSpec {
  readonly dir: string;
  readonly tempPrefix: string;
  readonly staleMs: number;
  readonly isComplete: (dir: string) => boolean;
  /** Builds inside `tmp` and returns the folder to move into place. */
  readonly build: (tmp: string) => Promise<string>;
}

const removeStale = async (parent: string, prefix: string, staleMs: number): Promise<void> => {
  for (const name of await readdir(parent)) {
    if (!name.startsWith(prefix)) continue;
    const path = join(parent, name);
    if (Date.now() - (await stat(path)).mtimeMs > staleMs) await rm(path, { recursive: true, force: true });
  }
};

export const ensureCached = async (spec: CacheSpec): Promise<CacheEntry> => {
  const started = performance.now();
  if (spec.isComplete(spec.dir)) return { dir: spec.dir, built: false, ms: performance.now() - started };
  const parent = runsFleetCacheDir();
  await mkdir(parent, { recursive: true });
  await removeStale(parent, spec.tempPrefix, spec.staleMs);
  const tmp = await mkdtemp(join(parent, spec.tempPrefix));
  try {
    const built = await spec.build(tmp);
    await rm(spec.dir, { recursive: true, force: true }); // an older layout or an incomplete leftover, if any
    try {
      await rename(built, spec.dir);
    } catch (e) {
      if (!spec.isComplete(spec.dir)) throw e; // a concurrent build won the rename: its copy is as good as ours
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  return { dir: spec.dir, built: true, ms: performance.now() - started };
};
