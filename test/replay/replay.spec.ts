import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { runCli } from '../cli/run-cli.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '../../adapters/store-sqlite/index.js';
import type { Command } from '../../domain/commands/commands.js';
import { react } from '../../domain/process/react.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { toJsonlLine } from '../../handlers/app/retention.js';
import { diffCommands } from '../../handlers/replay/diff.js';
import { replay, type React } from '../../handlers/replay/engine.js';
import { renderDiff } from '../../handlers/replay/render.js';
import { parseTimeSpec } from '../../handlers/replay/time-spec.js';
import { recordHistory, recordRunnerTaken } from './history.js';

const run = runCli;

const M1 = '4efhdp4sx2x5h72gy44tcw4tbcfbkxbz';
const M_FAILED = 'f7w4bty36lwg3gxtv2tidf5ulzuyiv7n';
const M2 = 'jjmy5reu3xh2ph6tnhwz7z5gcqv2y435';

const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-replay-'));
const jsonl = join(dir, 'history.jsonl');
const file = `file:${jsonl}`;
let events: ReadonlyArray<RecordedEvent> = [];

beforeAll(async () => {
  events = await recordHistory();
  writeFileSync(jsonl, events.map(toJsonlLine).join(''));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TABLE_101_UNTIL = [
  'TIME                        SINCE  STREAM                                      V  TYPE                  FIELDS',
  '2026-11-27T12:00:00.000Z           job#101                                     1  JobQueued             labels=runs-fleet=1/cpu=4/arch=arm64 repo=acme/widgets',
  '2026-11-27T12:00:00.000Z      +0s  job#101                                     2  RunnerRequested       attempt=1 capacity=spot',
  `                                   -> LaunchMachine ${M1} [${M1}]`,
  `2026-11-27T12:00:00.000Z      +0s  machine#${M1}    1  MachineRequested      job=101 capacity=spot types=c8g.xlarge,c7g.xlarge,m8g.xlarge,m7g.xlarge,r8g.xlarge,c8g.2xlarge,c7g.2xlarge,m8g.2xlarge,m7g.2xlarge,r8g.2xlarge`,
  `                                   -> PrepareRunnerConfig ${M1} [kuhwqq3mefhz4upwvjgwv7kyuhp62qbi]`,
  `2026-11-27T12:00:00.000Z      +0s  machine#${M1}    2  MachineLaunched       cloudId=i-00000001 instanceType=c8g.xlarge capacity=spot zone=zone-a`,
  `                                   -> AssignRunner ${M1} [gceazm4eleb4voxosz5zrobiwclebnxt]`,
  `2026-11-27T12:00:00.000Z      +0s  job#101                                     3  RunnerAssigned        attempt=1 machineId=${M1} source=cold-start`,
  `2026-11-27T12:00:00.000Z      +0s  machine#${M1}    3  RunnerConfigPrepared  runnerName=runs-fleet-${M1}`,
  `2026-11-27T12:00:03.000Z      +3s  machine#${M1}    4  RunnerRegistered      runnerName=runs-fleet-${M1}`,
  'state at the end:',
  `  job 101: assigned, attempt 1, machine ${M1}`,
  `  machine ${M1}: launched, c8g.xlarge spot`,
];

const EXPLAIN_102 = [
  'job 102: completed (success), 34s from queued to completed',
  'latency:',
  '  queued              2026-11-27T12:01:06.000Z',
  '  runner requested    2026-11-27T12:01:06.000Z      +0s',
  '  machine launched    2026-11-27T12:01:06.000Z      +0s  c8g.large on-demand in zone-a, i-00000002',
  '  runner registered   -',
  `  job started         2026-11-27T12:01:10.000Z      +4s  on runs-fleet-${M2}`,
  '  completed           2026-11-27T12:01:40.000Z     +30s  success',
  'detours:',
  '  - spot capacity error for c7g.large at 12:01:06: InsufficientInstanceCapacity; fell back to on-demand',
  '  - requeued at 12:01:06 (attempt 1): launch-capacity: capacity: InsufficientInstanceCapacity',
];

const EXPLAIN_101 = [
  'job 101: completed (success), 1m05s from queued to completed',
  'latency:',
  '  queued              2026-11-27T12:00:00.000Z',
  '  runner requested    2026-11-27T12:00:00.000Z      +0s',
  '  machine launched    2026-11-27T12:00:00.000Z      +0s  c8g.xlarge spot in zone-a, i-00000001',
  '  runner registered   2026-11-27T12:00:03.000Z      +3s',
  `  job started         2026-11-27T12:00:05.000Z      +2s  on runs-fleet-${M1}`,
  '  completed           2026-11-27T12:01:05.000Z   +1m00s  success',
  'detours:',
  '  none',
];

const lines = (text: string) => text.trimEnd().split('\n');

/** The same assertions against any store holding the recorded history. */
const goldenSuite = (store: () => string) => {
  it('replays a job with its machines up to --until as a timeline table', async () => {
    const { code, stdout, stderr } = await run(
      'replay',
      '--store',
      store(),
      '--job',
      '101',
      '--until',
      '2026-11-27T12:00:03Z',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines(stdout)).toEqual(TABLE_101_UNTIL);
  });

  it('prints one JSON document with --json', async () => {
    const { code, stdout } = await run('replay', '--store', store(), '--job', '102', '--json');
    expect(code).toBe(0);
    expect(lines(stdout)).toHaveLength(1);
    const doc = JSON.parse(stdout) as {
      events: Array<{ streamId: string; version: number; type: string; sinceMs: number | null; commands: string[] }>;
      state: {
        jobs: Record<string, { status: string; attempt: number }>;
        machines: Record<string, { status: string }>;
      };
      commands: Array<{ type: string; commandId: string }>;
    };
    expect(new Set(doc.events.map((e) => e.streamId))).toEqual(
      new Set(['job#102', `machine#${M_FAILED}`, `machine#${M2}`]),
    );
    expect(doc.events).toHaveLength(14);
    expect(doc.state.jobs['102']).toMatchObject({ status: 'completed', attempt: 2 });
    expect(doc.state.machines[M_FAILED]).toMatchObject({ status: 'failed' });
    expect(doc.state.machines[M2]).toMatchObject({ status: 'terminated' });
    expect(doc.commands.map((c) => c.type)).toEqual([
      'LaunchMachine',
      'PrepareRunnerConfig',
      'RequeueJob',
      'LaunchMachine',
      'PrepareRunnerConfig',
      'AssignRunner',
      'TerminateMachines',
    ]);
  });

  it('explains a normal job and one with a detour', async () => {
    expect(lines((await run('explain', '--store', store(), '--job', '101')).stdout)).toEqual(EXPLAIN_101);
    const { code, stdout } = await run('explain', '--store', store(), '--job', '102');
    expect(code).toBe(0);
    expect(lines(stdout)).toEqual(EXPLAIN_102);
  });

  it('explains a rejection', async () => {
    const { stdout } = await run('explain', '--store', store(), '--job', '103');
    expect(lines(stdout)).toContain(
      '  - rejected at 12:01:41: invalid-label: cpu=abc: cpu must be a whole number or MIN+MAX (e.g. cpu=4 or cpu=4+16)',
    );
  });

  it('--diff is empty for the same code (exit 0)', async () => {
    const { code, stdout } = await run('replay', '--store', store(), '--all', '--diff');
    expect(code).toBe(0);
    expect(lines(stdout).at(-1)).toBe('diff: the current code derives the same commands as were carried out');
  });

  it('an unknown job or stream is exit 3 with a clear message', async () => {
    const job = await run('explain', '--store', store(), '--job', '999');
    expect(job.code).toBe(3);
    expect(job.stderr).toBe(`runs-fleet explain: job 999 is not in ${store()}\n`);
    const stream = await run('replay', '--store', store(), '--stream', 'machine#nope');
    expect(stream.code).toBe(3);
    expect(stream.stderr).toBe(`runs-fleet replay: stream machine#nope is not in ${store()}\n`);
  });
};

describe('replay over a JSONL file', () => {
  goldenSuite(() => file);

  it('--diff is non-empty when a decision changes (injected react), comparing whole payloads', async () => {
    async function* source() {
      yield* events;
    }
    // A changed decision: launches on-demand where the recorded code chose spot (same commandId, different payload).
    const onDemand: React = (views, envelope) =>
      react(views, envelope).map((command): Command =>
        command.type === 'LaunchMachine'
          ? { ...command, data: { ...command.data, request: { ...command.data.request, capacity: 'on-demand' } } }
          : command,
      );
    const changed = diffCommands((await replay(source, { scope: { kind: 'all' }, react: onDemand })).steps);
    expect(changed.map((d) => `${d.kind} ${d.type} ${d.commandId}`)).toEqual([
      `changed LaunchMachine ${M1}`,
      `changed LaunchMachine ${M_FAILED}`,
    ]);
    expect(renderDiff(changed).split('\n')).toContain('      data.request.capacity: "spot" -> "on-demand"');
    // A job-side decision (its outcome records the commandId in metadata and the command's fields in its data).
    const otherReason: React = (views, envelope) =>
      react(views, envelope).map((command): Command =>
        command.type === 'RequeueJob' ? { ...command, data: { ...command.data, detail: 'changed' } } : command,
      );
    const requeue = diffCommands(
      (await replay(source, { scope: { kind: 'job', jobId: '102' }, react: otherReason })).steps,
    );
    expect(requeue.map((d) => `${d.kind} ${d.type}`)).toEqual(['changed RequeueJob']);
    expect(renderDiff(requeue).split('\n')).toContain(
      '      detail: "capacity: InsufficientInstanceCapacity" -> "changed"',
    );
    // A dropped decision: the current code would no longer terminate machines after a job completes.
    const noTerminate: React = (views, envelope) =>
      react(views, envelope).filter((command) => command.type !== 'TerminateMachines');
    const dropped = diffCommands((await replay(source, { scope: { kind: 'all' }, react: noTerminate })).steps);
    expect(dropped.map((d) => `${d.kind} ${d.type}`)).toEqual([
      'not-derived TerminateMachines',
      'not-derived TerminateMachines',
    ]);
    expect(diffCommands((await replay(source, { scope: { kind: 'all' } })).steps)).toEqual([]);
    // DynamoDB's order (time, then stream, then version): outcomes of one instant wait for the step deriving them.
    const byTime = [...events].sort(
      (a, b) =>
        a.metadata.at.localeCompare(b.metadata.at) || a.streamId.localeCompare(b.streamId) || a.version - b.version,
    );
    async function* dynamoOrder() {
      yield* byTime;
    }
    expect(diffCommands((await replay(dynamoOrder, { scope: { kind: 'all' } })).steps)).not.toEqual([]);
    expect(diffCommands((await replay(dynamoOrder, { scope: { kind: 'all' }, causalTies: true })).steps)).toEqual([]);
  });

  it('--diff through the CLI exits 1 when the log records a different command than the code derives', async () => {
    // The recorded launch (as if an older version had decided on-demand), against the current code's spot.
    const tampered = join(dir, 'tampered.jsonl');
    const edited = events.map((e) =>
      e.type === 'MachineLaunched' && e.streamId === `machine#${M1}`
        ? toJsonlLine(e).replace('"capacity":"spot","instanceTypes"', '"capacity":"on-demand","instanceTypes"')
        : toJsonlLine(e),
    );
    expect(edited.join('')).not.toBe(events.map(toJsonlLine).join(''));
    writeFileSync(tampered, edited.join(''));
    const { code, stdout } = await run('replay', '--store', `file:${tampered}`, '--job', '101', '--diff');
    expect(code).toBe(1);
    expect(lines(stdout).slice(-4)).toEqual([
      'diff: 1 difference(s)',
      `  changed      LaunchMachine [${M1}] (derived at job#101 v2)`,
      `    recorded as carried out at machine#${M1} v2; recorded -> derived now:`,
      '      data.request.capacity: "on-demand" -> "spot"',
    ]);
    const json = await run('replay', '--store', `file:${tampered}`, '--job', '101', '--diff', '--json');
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { diff: Array<{ kind: string }> }).diff.map((d) => d.kind)).toEqual(['changed']);
  });

  it('--verbose shows the view after each step; --pool of an unknown pool is exit 3', async () => {
    const { code, stdout } = await run('replay', '--store', file, '--stream', 'job#103', '--verbose');
    expect(code).toBe(0);
    expect(lines(stdout)[2]).toMatch(/^ {38}view: \{"status":"rejected",/);
    const pool = await run('replay', '--store', file, '--pool', 'gpu');
    expect(pool.code).toBe(3);
    expect(pool.stderr).toBe(`runs-fleet replay: pool gpu is not in ${file}\n`);
    const none = await run('replay', '--store', file);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('runs-fleet replay: give exactly one of --job ID, --stream ID, --pool NAME, --all\n');
  });

  it('an unreachable store names the store and the cause (exit 2)', async () => {
    const missing = await run('replay', '--store', `file:${join(dir, 'missing.jsonl')}`, '--all');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`file:${join(dir, 'missing.jsonl')}: cannot open the store: ENOENT`);
    const sqlite = await run('explain', '--store', `sqlite:${join(dir, 'missing.db')}`, '--job', '1');
    expect(sqlite.code).toBe(2);
    expect(sqlite.stderr).toBe(`runs-fleet explain: sqlite:${join(dir, 'missing.db')}: no such store\n`);
  });

  it('a malformed JSONL line is named by its number', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${toJsonlLine(events[0] as RecordedEvent)}{"streamId":"job#1","version":0}\n`);
    const { code, stderr } = await run('replay', '--store', `file:${bad}`, '--all');
    expect(code).toBe(2);
    expect(stderr).toBe(
      `runs-fleet replay: file:${bad}: cannot read the store: line 2: version 0 is not a positive integer\n`,
    );
  });
});

describe('[sqlite] replay, export and import', () => {
  const db = join(dir, 'imported.db');
  const store = `sqlite:${db}`;
  beforeAll(async () => {
    const { code, stdout, stderr } = await run('events', 'import', '--store', store, jsonl);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(`imported 25 events (6 streams) from ${jsonl} into ${store} (marked replay-only)\n`);
  });

  goldenSuite(() => store);

  it('exports back the same lines, a stream, or events since a time', async () => {
    const out = join(dir, 'export.jsonl');
    expect((await run('events', 'export', '--store', store, '--out', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(jsonl, 'utf8'));
    await run('events', 'export', '--store', store, '--out', out, '--stream', 'job#102');
    expect(lines(readFileSync(out, 'utf8')).map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      'JobQueued',
      'RunnerRequested',
      'JobRequeued',
      'RunnerRequested',
      'RunnerAssigned',
      'JobStarted',
      'JobCompleted',
    ]);
    await run('events', 'export', '--store', store, '--out', out, '--since', '2026-11-27T12:01:40Z');
    expect(lines(readFileSync(out, 'utf8'))).toHaveLength(3);
    const unwritable = await run('events', 'export', '--store', store, '--out', join(dir, 'no/such/dir.jsonl'));
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain(
      `runs-fleet events export: cannot write ${join(dir, 'no/such/dir.jsonl')}: ENOENT`,
    );
    const badSince = await run('events', 'export', '--store', store, '--out', out, '--since', 'yesterday');
    expect(badSince.code).toBe(2);
  });

  it('imports only into an empty or replay-only store', async () => {
    const live = join(dir, 'live.db');
    const opened = await openSqliteEventStore(live);
    const first = events[0] as RecordedEvent;
    await opened.append(first.streamId, [{ type: first.type, data: first.data, metadata: first.metadata }], 0);
    await opened.close();
    const { code, stderr } = await run('events', 'import', '--store', `sqlite:${live}`, jsonl);
    expect(code).toBe(2);
    expect(stderr).toContain('holds events and is not marked replay-only');
  });

  it('refuses a file whose streams do not start at version 1 (a --since export)', async () => {
    const tail = join(dir, 'tail.jsonl');
    writeFileSync(tail, events.slice(1, 3).map(toJsonlLine).join(''));
    const { code, stderr } = await run('events', 'import', '--store', `sqlite:${join(dir, 'tail.db')}`, tail);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `runs-fleet events import: ${tail}: line 1: job#101 version 2 follows version 0 (expected 1): ` +
        'import needs whole streams in version order; nothing was written\n',
    );
  });

  it('a malformed line names its line number and nothing is written', async () => {
    const bad = join(dir, 'bad-import.jsonl');
    const good = events.slice(0, 3).map(toJsonlLine).join('');
    writeFileSync(bad, `${good}{"streamId":"job#9","version":1,"type":"JobQueued","data":{}}\n`);
    const target = join(dir, 'empty.db');
    const { code, stderr } = await run('events', 'import', '--store', `sqlite:${target}`, bad);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `runs-fleet events import: ${bad}: line 4: metadata is missing or not an object; nothing was written\n`,
    );
    const opened = await openSqliteEventStore(target);
    expect(await opened.head()).toBe(0);
    await opened.close();
  });
});

describe('explain: a runner taken by another job', () => {
  it('tells both sides', async () => {
    const taken = join(dir, 'taken.jsonl');
    writeFileSync(taken, (await recordRunnerTaken()).map(toJsonlLine).join(''));
    const a = await run('explain', '--store', `file:${taken}`, '--job', '201');
    expect(lines(a.stdout).slice(-2)).toEqual([
      'detours:',
      '  - requeued at 12:00:06 (attempt 1): runner-taken: runner runs-fleet-7fzsr3m2oynulopdxs7acze2rihanybx was taken by job 202 with the same labels; re-dispatched',
    ]);
    const b = await run('explain', '--store', `file:${taken}`, '--job', '202');
    expect(lines(b.stdout)).toEqual([
      'job 202: running',
      'latency:',
      '  queued              2026-11-27T12:00:01.000Z',
      '  runner requested    2026-11-27T12:00:01.000Z      +0s',
      '  machine launched    2026-11-27T12:00:00.000Z      -1s  c8g.large spot in zone-a, i-00000001, launched for job 201',
      '  runner registered   -',
      '  job started         2026-11-27T12:00:06.000Z      +6s  on runs-fleet-7fzsr3m2oynulopdxs7acze2rihanybx',
      '  completed           -',
      'detours:',
      '  - ran on runner runs-fleet-7fzsr3m2oynulopdxs7acze2rihanybx, launched for job 201, not on its own machine 7mcl5ixinlhqzf5tg3pqgpzohdnrvtdk',
    ]);
    const diff = await run('replay', '--store', `file:${taken}`, '--all', '--diff');
    expect(diff.code).toBe(0);
  });
});

describe('time specs', () => {
  it('accepts ISO 8601 and relative times', () => {
    const now = new Date('2026-11-27T12:00:00Z');
    expect(parseTimeSpec('-15m', now)).toEqual({ _tag: 'Right', right: '2026-11-27T11:45:00.000Z' });
    expect(parseTimeSpec('-2h', now)).toEqual({ _tag: 'Right', right: '2026-11-27T10:00:00.000Z' });
    expect(parseTimeSpec('2026-11-27T12:05:00Z', now)).toEqual({ _tag: 'Right', right: '2026-11-27T12:05:00.000Z' });
    expect(parseTimeSpec('yesterday', now)._tag).toBe('Left');
  });
});
