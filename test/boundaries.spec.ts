import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise } from 'dependency-cruiser';
import type { ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// Proves the repo's own boundary rules (.dependency-cruiser.cjs, eslint.config.js) can fail: each deliberately bad
// file in test/fixtures/boundaries/ must trip exactly the rules it breaks, and the clean files none.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(root, 'test/fixtures/boundaries');
const tsConfigFile = path.join(root, 'tsconfig.json');

type Violation = { readonly rule: string; readonly from: string; readonly to: string };

const cruiseFixtures = async (): Promise<ReadonlyArray<Violation>> => {
  const options = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
  // baseDir = the fixture root, so the rules' `^domain/`-style paths apply to the mini tree as to the repo.
  const { output } = await cruise(
    ['domain', 'projections', 'handlers', 'adapters'],
    { ...options, baseDir: fixtures, tsConfig: { fileName: tsConfigFile } },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  const result = output as ICruiseResult;
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
};

const rulesFor = (violations: ReadonlyArray<Violation>, from: string): ReadonlyArray<string> =>
  [...new Set(violations.filter((v) => v.from === from).map((v) => v.rule))].sort();

/** Lints a fixture's source as if it lived at `asPath` in the repo, so the path-scoped (domain/) rules apply. */
const lintAs = async (fixture: string, asPath: string): Promise<ReadonlyArray<string>> => {
  const eslint = new ESLint({ cwd: root, overrideConfigFile: path.join(root, 'eslint.config.js') });
  const source = await readFile(path.join(fixtures, fixture), 'utf8');
  const [result] = await eslint.lintText(source, { filePath: path.join(root, asPath), warnIgnored: true });
  return (result?.messages ?? []).map((m) => `${m.line}:${m.ruleId ?? 'fatal'}`);
};

describe('boundaries', () => {
  describe('dependency-cruiser rules over test/fixtures/boundaries', () => {
    let violations: ReadonlyArray<Violation> = [];
    beforeAll(async () => {
      violations = await cruiseFixtures();
    }, 30_000);

    it('flags a domain file importing an adapter', () => {
      expect(rulesFor(violations, 'domain/bad-import.ts')).toEqual([
        'domain-imports-only-domain',
        'pure-core-not-to-outer-layers',
      ]);
    });

    it('flags a domain file importing node:fs', () => {
      expect(rulesFor(violations, 'domain/bad-io.ts')).toEqual(['domain-imports-only-domain', 'pure-core-no-io']);
    });

    it('flags a domain file importing the AWS SDK', () => {
      expect(rulesFor(violations, 'domain/bad-aws.ts')).toEqual(['domain-imports-only-domain', 'pure-core-no-io']);
    });

    it('flags an import that does not resolve', () => {
      expect(rulesFor(violations, 'domain/bad-unresolvable.ts')).toEqual(['not-to-unresolvable']);
    });

    it('flags an adapter importing another adapter and a handler, not its own subfolder or the domain', () => {
      expect(violations.filter((v) => v.from.startsWith('adapters/'))).toEqual([
        { rule: 'adapters-not-to-handlers', from: 'adapters/a/index.ts', to: 'handlers/h.ts' },
        { rule: 'adapters-not-to-other-adapters', from: 'adapters/a/index.ts', to: 'adapters/b/index.ts' },
      ]);
    });

    it('flags a circular import', () => {
      expect(violations.filter((v) => v.rule === 'no-circular').map((v) => v.from)).toEqual(['projections/cycle-a.ts']);
    });

    it('never excludes node_modules, which would drop package imports (like @aws-sdk) before the rules see them', async () => {
      const { exclude } = await extractDepcruiseOptions(path.join(root, '.dependency-cruiser.cjs'));
      const pattern = typeof exclude === 'object' && !Array.isArray(exclude) ? exclude.path : exclude;
      const patterns = [pattern ?? []].flat();
      expect(patterns.length).toBeGreaterThan(0);
      for (const p of patterns)
        expect(new RegExp(p).test('node_modules/@aws-sdk/client-dynamodb/dist/index.js')).toBe(false);
    });

    it('resolves NodeNext `.js` specifiers to `.ts` files and passes the clean files', () => {
      const flagged = new Set(violations.map((v) => v.from));
      expect([...flagged].sort()).toEqual([
        'adapters/a/index.ts',
        'domain/bad-aws.ts',
        'domain/bad-import.ts',
        'domain/bad-io.ts',
        'domain/bad-unresolvable.ts',
        'projections/cycle-a.ts',
      ]);
      expect(flagged.has('domain/good.ts')).toBe(false);
      expect(flagged.has('domain/bad-clock.ts')).toBe(false);
    });
  });

  describe('ESLint purity rules', () => {
    it('flags the clock and randomness reads of a domain file', async () => {
      expect(await lintAs('domain/bad-clock.ts', 'domain/boundary-probe/bad-clock.ts')).toEqual([
        '1:no-restricted-globals',
        '3:no-restricted-properties',
      ]);
    });

    it('flags I/O imports of a domain file', async () => {
      expect(await lintAs('domain/bad-io.ts', 'domain/boundary-probe/bad-io.ts')).toEqual(['1:no-restricted-imports']);
    });

    it('applies the same rules to projections/', async () => {
      expect(await lintAs('domain/bad-clock.ts', 'projections/boundary-probe/bad-clock.ts')).toEqual([
        '1:no-restricted-globals',
        '3:no-restricted-properties',
      ]);
    });

    it('passes a clean domain file that hashes with node:crypto', async () => {
      expect(await lintAs('domain/good.ts', 'domain/boundary-probe/good.ts')).toEqual([]);
    });

    it('leaves handlers/ free to read the clock', async () => {
      expect(await lintAs('domain/bad-clock.ts', 'handlers/boundary-probe/bad-clock.ts')).toEqual([]);
    });
  });
});
