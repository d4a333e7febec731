import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isIsoTime, isoTimeMillis, readJsonlLines, readLineBatches } from '../../adapters/store-jsonl/index.js';
import { toJsonlLine } from '../../handlers/app/retention.js';

const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-jsonl-reading-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linesOf = async (path: string, chunkBytes: number) => {
  const lines: Array<readonly [number, string]> = [];
  for await (const batch of readLineBatches(path, chunkBytes))
    batch.lines.forEach((text, i) => lines.push([batch.first + i, text]));
  return lines;
};

describe('reading a JSONL file a chunk at a time', () => {
  it('gives the lines and line numbers of a plain split, whatever the chunk size', async () => {
    const path = join(dir, 'lines.txt');
    // Multi-byte characters cut by chunk edges, CRLF endings, blank and long lines, with or without a last newline.
    const line = fc
      .array(fc.constantFrom('a', 'b', 'é', '€', '😀', ' ', '{', '"'), { maxLength: 120 })
      .map((cs) => cs.join(''));
    const file = fc.record({
      lines: fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 30 }),
      lastNewline: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 1, max: 64 }), async ({ lines, lastNewline }, chunkBytes) => {
        let text = lines.map(([l, end]) => `${l}${end}`).join('');
        if (!lastNewline) text = text.replace(/\r?\n$/, '');
        writeFileSync(path, text);
        const expected = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
        expect(await linesOf(path, chunkBytes)).toEqual(expected.map((l, i) => [i + 1, l]));
      }),
      { numRuns: 200 },
    );
  });

  it('names a malformed line by its number far into the file, after yielding the lines before it', async () => {
    const path = join(dir, 'bad.jsonl');
    const good = (n: number) =>
      toJsonlLine({
        streamId: `job#${n}`,
        version: 1,
        type: 'E',
        data: { pad: 'x'.repeat(500) },
        metadata: { at: '2026-11-27T12:00:00.000Z' },
      });
    writeFileSync(
      path,
      `${Array.from({ length: 5000 }, (_, i) => good(i)).join('')}\n{"streamId":"job#1","version":0}\n`,
    );
    const seen: number[] = [];
    const read = async () => {
      for await (const { line } of readJsonlLines(path)) seen.push(line);
    };
    await expect(read()).rejects.toThrow('line 5002: version 0 is not a positive integer');
    expect(seen).toHaveLength(5000);
    expect(seen.at(-1)).toBe(5000);
  });
});

describe('ISO 8601 times', () => {
  it('reads and checks times exactly as Date.parse does', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const canonicalish = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        two(14),
        two(33),
        two(25),
        two(61),
        two(61),
        fc.option(fc.integer({ min: 0, max: 999 })),
      )
      .map(
        ([y, mo, d, h, mi, s, ms]) =>
          `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}${ms === null ? '' : `.${String(ms).padStart(3, '0')}`}Z`,
      );
    const any = fc.oneof(
      canonicalish,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.string({ maxLength: 30 }),
      fc.constantFrom('2026-11-27T12:00:00+01:00', '2026-11-27', 'soon', '2026-11-27T12:00:00.5Z'),
    );
    fc.assert(
      fc.property(any, (text) => {
        expect(isoTimeMillis(text)).toBe(Date.parse(text));
        expect(isIsoTime(text)).toBe(!Number.isNaN(Date.parse(text)));
      }),
      { numRuns: 5000 },
    );
  });
});
