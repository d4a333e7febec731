import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import { runCli } from '../cli/run-cli.js';

/** `runs-fleet pools apply` and `pools list` against a SQLite store (issue 5 scope item 2: configured from a file). */
describe('[sqlite] runs-fleet pools', () => {
  let dir: string;
  let store: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runs-fleet-pools-'));
    store = `sqlite:${join(dir, 'events.db')}`;
    file = join(dir, 'pools.yaml');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const streams = async (): Promise<string[]> => {
    const opened = await openSqliteEventStore(join(dir, 'events.db'));
    const ids: string[] = [];
    for await (const id of opened.listStreams('pool')) ids.push(id);
    await opened.close();

    return ids.sort();
  };

  const VALID = `
pools:
  - name: default
    label: runs-fleet/cpu=2/arch=arm64
    hot: 1
    stopped: 2
    timeZone: Europe/Berlin
    schedules:
      - { name: office, from: 8, to: 18, days: [mon, tue, wed, thu, fri], hot: 3, stopped: 2 }
  - name: big
    stopped: 1
`;

  it('applies a file once: changed pools are recorded, unchanged ones are not; list shows them', async () => {
    await writeFile(file, VALID);
    const first = await runCli('pools', 'apply', file, '--store', store);
    expect(first).toMatchObject({ code: 0, stdout: 'pool default: configured\npool big: configured\n' });
    const again = await runCli('pools', 'apply', file, '--store', store);
    expect(again).toMatchObject({ code: 0, stdout: 'pool default: unchanged\npool big: unchanged\n' });
    expect(await streams()).toEqual(['pool#big', 'pool#default']);

    const listed = await runCli('pools', 'list', '--store', store);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('pool default: hot 1, stopped 2; schedules: office 8-18h');
    expect(listed.stdout).toContain('label: runs-fleet/pool=big');
    const json = JSON.parse((await runCli('pools', 'list', '--store', store, '--json')).stdout) as {
      pools: Array<{ name: string; config: { desiredStopped: number; schedules: Array<{ daysOfWeek: number[] }> } }>;
    };
    expect(json.pools.map((p) => p.name)).toEqual(['big', 'default']);
    expect(json.pools[1]?.config.schedules[0]?.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
  });

  it('an invalid file applies nothing and names file, pool, field and the allowed values', async () => {
    await writeFile(
      file,
      `
pools:
  - name: default
    hot: 1
  - name: bad
    hot: many
    timeZone: Mars/Olympus
    colour: blue
    label: runs-fleet/backend=k8s
`,
    );
    const { code, stderr } = await runCli('pools', 'apply', file, '--store', store);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}: pool "bad": field "hot": must be an integer 0..100 (got "many")`);
    expect(stderr).toContain(`${file}: pool "bad": field "timeZone": an IANA time zone such as UTC or Europe/Berlin`);
    expect(stderr).toContain(`field "colour": unknown field; allowed: name, label, hot, stopped`);
    expect(stderr).toContain('backend=k8s is not allowed');
    expect(await streams()).toEqual([]);
  });

  it('--prune removes pools the file no longer lists', async () => {
    await writeFile(file, VALID);
    await runCli('pools', 'apply', file, '--store', store);
    await writeFile(file, 'pools:\n  - name: default\n    label: runs-fleet/cpu=2/arch=arm64\n    hot: 1\n');
    const { code, stdout } = await runCli('pools', 'apply', file, '--store', store, '--prune');
    expect(code).toBe(0);
    expect(stdout).toBe('pool default: configured\npool big: removed\n');
    expect((await runCli('pools', 'list', '--store', store)).stdout).toContain('pool big (removed)');
  });

  it('documents the file format in --help', async () => {
    const { stdout } = await runCli('pools', 'apply', '--help');
    expect(stdout).toContain('schedules:');
    expect(stdout).toContain('--prune');
  });
});
