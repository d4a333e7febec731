import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunnerConfig } from '../../domain/ports/runner-config-store.js';
import { createFileRunnerConfigStore, machineIdOfRef } from './index.js';

const MACHINE = 'abcdefghijklmnopqrstuvwxyz234567';
const config = (overrides: Partial<RunnerConfig> = {}): RunnerConfig => ({
  machineId: MACHINE,
  runnerName: `runs-fleet-${MACHINE}`,
  labels: ['runs-fleet=9000/cpu=2'],
  repo: 'acme/widgets',
  jobId: '777',
  encodedJitConfig: 'SECRET-JIT-CONFIG',
  ...overrides,
});

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('file runner-config store', () => {
  let root: string;
  let dir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runner-configs-'));
    dir = join(root, 'data', 'runner-configs');
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes one 0600 file per machine in a 0700 folder and answers a reference, not the secret', async () => {
    const store = createFileRunnerConfigStore(dir);
    const ref = await store.put(config());

    expect(ref).toBe(`file:${MACHINE}`);
    expect(machineIdOfRef(ref)).toBe(MACHINE);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(join(dir, `${MACHINE}.json`))).toBe(0o600);
    expect(await readdir(dir)).toEqual([`${MACHINE}.json`]);
    await expect(store.get(MACHINE)).resolves.toEqual(config());
  });

  it('tightens a folder that already exists with looser modes', async () => {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await createFileRunnerConfigStore(dir).put(config());

    expect(await modeOf(dir)).toBe(0o700);
  });

  it('replaces a config atomically and leaves no temporary file behind', async () => {
    const store = createFileRunnerConfigStore(dir);
    await store.put(config());
    await store.put(config({ encodedJitConfig: 'SECOND' }));

    expect((await store.get(MACHINE))?.encodedJitConfig).toBe('SECOND');
    expect(await readdir(dir)).toEqual([`${MACHINE}.json`]);
    expect(await modeOf(join(dir, `${MACHINE}.json`))).toBe(0o600);
  });

  it('answers null for an absent config and deletes idempotently', async () => {
    const store = createFileRunnerConfigStore(dir);
    await expect(store.get(MACHINE)).resolves.toBeNull();
    await store.put(config());
    await store.delete(MACHINE);
    await store.delete(MACHINE);

    await expect(store.get(MACHINE)).resolves.toBeNull();
  });

  it('refuses a machine id that could leave the folder', async () => {
    const store = createFileRunnerConfigStore(dir);

    await expect(store.put(config({ machineId: '../escape' }))).rejects.toThrow(/refusing machine id/);
    await expect(store.get('a/b')).rejects.toThrow(/refusing machine id/);
    expect(machineIdOfRef('file:../x')).toBeNull();
  });

  it('reports an unreadable file without quoting it', async () => {
    const store = createFileRunnerConfigStore(dir);
    await store.put(config());
    await writeFile(join(dir, `${MACHINE}.json`), '{"encodedJitConfig": "SECRET-JIT-CONFIG", broken');

    const error = await store.get(MACHINE).catch((e: unknown) => e);
    expect(String(error)).toMatch(/unreadable file/);
    expect(String(error)).not.toContain('SECRET');
  });
});
