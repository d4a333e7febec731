import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { runCli } from '../../test/cli/run-cli.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import type { EventStore, RecordedEvent } from '../../domain/store/index.js';
import { createWorld } from '../../test/world/world.js';
import { registerRebuildCommand } from './rebuild-command.js';

const run = runCli;

/** A short real history: two jobs launched and assigned, one completed (its machine terminated), one rejected. */
const history = async (): Promise<ReadonlyArray<RecordedEvent>> => {
  const world = createWorld();
  await world.queued({ jobId: '1', labels: ['runs-fleet/cpu=4/arch=arm64'] });
  await world.queued({ jobId: '2', labels: ['runs-fleet/cpu=2/spot=false'] });
  await world.queued({ jobId: '3', labels: ['runs-fleet/cpu=abc'] });
  await world.settle();
  await world.completed({ jobId: '1', labels: ['runs-fleet/cpu=4/arch=arm64'] }, 'success');
  await world.settle();
  return world.store.readAfter(0, 10_000);
};

const copyInto = async (store: EventStore, events: ReadonlyArray<RecordedEvent>): Promise<void> => {
  for (const { streamId, version, type, data, metadata } of events) {
    await store.append(streamId, [{ type, data, metadata }], version - 1);
  }
};

const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-rebuild-cli-'));
const dbPath = join(dir, 'events.db');
let events: ReadonlyArray<RecordedEvent> = [];

beforeAll(async () => {
  events = await history();
  const store = await openSqliteEventStore(dbPath);
  await copyInto(store, events);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('[sqlite] runs-fleet rebuild', () => {
  it('summarises the rebuilt views', async () => {
    const { code, stdout, stderr } = await run('rebuild', '--store', `sqlite:${dbPath}`);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^rebuilt sqlite:${dbPath} in \\d+ ms$`));
    expect(lines.slice(1)).toEqual([
      `streams:  5 (job 3, machine 2, pool 0); events: ${String(events.length)}`,
      'jobs:     3 (assigned 1, completed 1, rejected 1)',
      'machines: 2 (launched 1, terminated 1)',
      'quarantined streams: 0',
    ]);
  });

  it('prints one JSON object with --json', async () => {
    const { code, stdout } = await run('rebuild', '--store', `sqlite:${dbPath}`, '--json');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout)).toMatchObject({
      store: `sqlite:${dbPath}`,
      streams: { total: 5, job: 3, machine: 2, pool: 0 },
      events: events.length,
      jobs: { total: 3, byStatus: { assigned: 1, completed: 1, rejected: 1 } },
      machines: { total: 2, byStatus: { launched: 1, terminated: 1 } },
      quarantined: [],
      elapsedMs: expect.any(Number),
    });
  });

  it('lists quarantined streams with the reason and exits 3', async () => {
    const path = join(dir, 'quarantined.db');
    const store = await openSqliteEventStore(path);
    await copyInto(store, events);
    const version = (await store.read('job#2')).length;
    await store.append('job#2', [{ type: 'JobTeleported', data: {}, metadata: { at: 'now' } }], version);
    await store.close();
    const { code, stdout } = await run('rebuild', '--store', `sqlite:${path}`);
    expect(code).toBe(3);
    expect(stdout).toContain(
      `quarantined streams: 1\n  job#2 at version ${String(version + 1)}: unknown event type JobTeleported\n`,
    );
  });

  it('refuses a bad URL, a missing file (without creating it) and a JSONL export, with exit 2', async () => {
    const bad = await run('rebuild', '--store', 'events.db');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/did you mean sqlite:events.db\?[\s\S]*dynamodb:\/\/<table>/);
    const missing = join(dir, 'nope', 'events.db');
    const absent = await run('rebuild', '--store', `sqlite:${missing}`);
    expect(absent).toMatchObject({ code: 2, stderr: expect.stringContaining('no such store') });
    expect(existsSync(missing)).toBe(false);
    const jsonl = await run('rebuild', '--store', `file:${join(dir, 'export.jsonl')}`);
    expect(jsonl).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('this command needs sqlite: or dynamodb://'),
    });
    expect((await run('rebuild')).code).not.toBe(0);
  });

  it('documents the store URL forms in --help', async () => {
    const { code, stdout } = await run('rebuild', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('sqlite:<path>');
    expect(stdout).toContain('dynamodb://<table>?region=<r>&endpoint=<url>');
    expect(stdout).toContain('file:<path>.jsonl');
  });

  it('shows progress on stderr when asked (a terminal), never on stdout', async () => {
    let stdout = '';
    let stderr = '';
    const program = new Command('runs-fleet').exitOverride();
    registerRebuildCommand(program, {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      setExitCode: () => undefined,
      progress: true,
    });
    await program.parseAsync(['node', 'runs-fleet', 'rebuild', '--store', `sqlite:${dbPath}`, '--json']);
    expect(stderr).toMatch(/^\rrebuilding: job streams 3, events \d+/);
    expect(stderr.endsWith('\n')).toBe(true);
    expect(JSON.parse(stdout)).toMatchObject({ streams: { total: 5 } });
  });
});
