import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'runs-fleet', ...args], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });

  return { code, stdout, stderr };
};

describe('runs-fleet labels', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runs-fleet-labels-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the JobSpec and exits 0 when the labels are accepted', async () => {
    const { code, stdout } = await run('labels', '--', 'self-hosted', 'runs-fleet/cpu=4/arch=arm64');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toMatchObject({
      label: 'runs-fleet/cpu=4/arch=arm64',
      cpu: { min: 4, max: 8 },
      arch: 'arm64',
      instanceTypes: expect.arrayContaining(['c8g.xlarge']),
    });
  });

  it('prints the rejection and exits 2 when the labels are rejected', async () => {
    const { code, stdout } = await run('labels', '--', 'runs-fleet/gen=11');
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({
      error: { code: 'invalid-label', message: 'gen=11: gen must be between 1 and 10' },
    });
  });

  it('exits 2 with invalid-aliases for a bad or unreadable aliases file', async () => {
    const file = join(dir, 'aliases.json');
    await writeFile(file, '[{"match": "x(", "regex": true, "spec": "cpu=4"}]');
    const bad = await run('labels', '--aliases', file, '--', 'x');
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      error: { code: 'invalid-aliases', message: expect.stringContaining('label alias rule 0 ("x("): invalid regex') },
    });
    const missing = await run('labels', '--aliases', join(dir, 'nope.json'), '--', 'x');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'invalid-aliases' } });
  });

  it('applies the rules of a good aliases file', async () => {
    const file = join(dir, 'good.json');
    await writeFile(file, JSON.stringify([{ match: '^shared-(?P<cpu>\\d+)cpu$', regex: true, spec: 'cpu=${cpu}' }]));
    const { code, stdout } = await run('labels', '--aliases', file, '--', 'shared-8cpu');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      aliasLabel: 'shared-8cpu',
      pool: 'shared-8cpu',
      cpu: { min: 8, max: 16 },
    });
  });

  it('describes the grammar with examples under --help, without exiting the process', async () => {
    const { code, stdout } = await run('labels', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('cpu=N | cpu=MIN+MAX');
    expect(stdout).toContain("runs-fleet labels -- 'runs-fleet/cpu=4/arch=arm64'");
  });
});
