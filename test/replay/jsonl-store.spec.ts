import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlReadOnlyError, openJsonlEventStore, parseJsonlLine } from '../../adapters/store-jsonl/index.js';
import { toJsonlLine } from '../../handlers/app/retention.js';

const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = '2026-11-27T12:00:00.000Z';
const line = (streamId: string, version: number, type = 'E') =>
  toJsonlLine({ streamId, version, type, data: { n: version }, metadata: { at } });

describe('JSONL read-only event store', () => {
  it('reads streams, lists them by category, streams every event in file order, and refuses appends', async () => {
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, [line('job#1', 1), line('machine#m', 1), '\n', line('job#1', 2), line('job#2', 1)].join(''));
    const store = await openJsonlEventStore(path);
    expect((await store.read('job#1')).map((e) => e.version)).toEqual([1, 2]);
    expect((await store.read('job#1', { fromVersion: 2 })).map((e) => e.data)).toEqual([{ n: 2 }]);
    const jobs: string[] = [];
    for await (const id of store.listStreams('job')) jobs.push(id);
    expect(jobs).toEqual(['job#1', 'job#2']);
    const all: string[] = [];
    for await (const e of store.readAll()) all.push(`${e.streamId}@${String(e.version)}`);
    expect(all).toEqual(['job#1@1', 'machine#m@1', 'job#1@2', 'job#2@1']);
    await expect(store.append('job#3', [], 0)).rejects.toBeInstanceOf(JsonlReadOnlyError);
  });

  it('names what is wrong with a line', () => {
    const reason = (text: string) => {
      const parsed = parseJsonlLine(text, 7);
      return parsed._tag === 'Left' ? parsed.left.message : 'ok';
    };
    expect(reason('{')).toMatch(/^line 7: not JSON/);
    expect(reason('[]')).toBe('line 7: not a JSON object');
    expect(reason('{"version":1}')).toBe('line 7: streamId is missing or not a string');
    expect(reason('{"streamId":"job#1","version":1,"type":"E","data":null,"metadata":{"at":"soon"}}')).toBe(
      'line 7: metadata.at "soon" is not an ISO 8601 time',
    );
    expect(reason('{"streamId":"job#1","version":1,"type":"E","metadata":{"at":"2026-11-27T12:00:00Z"}}')).toBe(
      'line 7: data is missing',
    );
    expect(reason(line('job#1', 1).trim())).toBe('ok');
  });

  it('a missing file fails on open', async () => {
    await expect(openJsonlEventStore(join(dir, 'missing.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});
