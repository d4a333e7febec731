import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { runCli } from '../cli/run-cli.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsTableInput } from '../../adapters/store-dynamodb/index.js';
import { toJsonlLine } from '../../handlers/app/retention.js';
import { dynamodbLocalClient, dynamodbReady, freshTableName } from '../harness/dynamodb-local-client.js';
import { recordHistory } from './history.js';

const run = runCli;

const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-replay-ddb-'));
const jsonl = join(dir, 'history.jsonl');
const client = dynamodbLocalClient();
const table = freshTableName('replay');
let store = '';

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const endpoint = await dynamodbReady();
  await client.send(new CreateTableCommand(createEventsTableInput(table)));
  store = `dynamodb://${table}?region=us-east-1&endpoint=${endpoint}`;
  writeFileSync(jsonl, (await recordHistory()).map(toJsonlLine).join(''));
});
afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: table }));
  client.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('[dynamodb-local] replay, explain, export and import', () => {
  it('imports into an empty table, explains, replays and exports', async () => {
    const imported = await run('events', 'import', '--store', store, jsonl);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const explained = await run('explain', '--store', store, '--job', '102');
    expect(explained.code).toBe(0);
    // DynamoDB has no global order: events of one instant come stream by stream, so only the set of detours is fixed.
    const detours = explained.stdout.split('\n');
    expect(detours).toContain(
      '  - spot capacity error for c7g.large at 12:01:06: InsufficientInstanceCapacity; fell back to on-demand',
    );
    expect(detours).toContain(
      '  - requeued at 12:01:06 (attempt 1): launch-capacity: capacity: InsufficientInstanceCapacity',
    );
    const replayed = await run('replay', '--store', store, '--job', '101', '--json');
    expect(replayed.code).toBe(0);
    const doc = JSON.parse(replayed.stdout) as {
      events: unknown[];
      state: { jobs: Record<string, { status: string }> };
    };
    expect(doc.events).toHaveLength(10);
    expect(doc.state.jobs['101']?.status).toBe('completed');
    // Events of one instant come stream by stream; outcomes wait for their cause, so the same code diffs empty.
    const diff = await run('replay', '--store', store, '--all', '--diff');
    expect(diff.stdout.split('\n').at(-2)).toBe('diff: the current code derives the same commands as were carried out');
    expect(diff.code).toBe(0);
    const out = join(dir, 'export.jsonl');
    const exported = await run('events', 'export', '--store', store, '--out', out);
    expect(exported.stdout).toBe(`exported 25 events from ${store} to ${out}\n`);
    const again = await run('events', 'import', '--store', store, jsonl);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('holds events and is not marked replay-only');
    const unknown = await run('explain', '--store', store, '--job', '999');
    expect(unknown.code).toBe(3);
  });
});
