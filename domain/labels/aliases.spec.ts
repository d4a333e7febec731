import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { AliasRule } from './aliases.js';
import { compileAliases } from './aliases.js';
import { parseJobLabels } from './parse-job-labels.js';

type Rule = { match: string; regex?: boolean; spec: string };

const rules = (...raw: Rule[]): ReadonlyArray<AliasRule> => {
  const compiled = compileAliases(JSON.stringify(raw));
  if (E.isLeft(compiled)) throw new Error(compiled.left.message);

  return compiled.right;
};
const configError = (raw: string): string => {
  const compiled = compileAliases(raw);

  return E.isLeft(compiled) ? compiled.left.message : 'compiled';
};

describe('compileAliases', () => {
  it.each(['', '  \n', '[]'])('%j is no rules', (raw) => {
    expect(compileAliases(raw)).toEqual(E.right([]));
  });

  it.each([
    ['{', 'not valid JSON'],
    ['{"match":"a","spec":"cpu=4"}', 'must be a JSON array'],
    ['[1]', 'rule 0: must be an object'],
    ['[{"match":"a"}]', 'rule 0: must be an object'],
    ['[{"match":"a","spec":"cpu=4","regex":"yes"}]', 'rule 0: must be an object'],
    ['[{"match":"a","spec":"cpu=4"},{"match":" ","spec":"cpu=4"}]', 'rule 1: match is required'],
    ['[{"match":"a","spec":""}]', 'label alias rule 0 ("a"): spec is required'],
    ['[{"match":"a(","regex":true,"spec":"cpu=4"}]', 'label alias rule 0 ("a("): invalid regex'],
    ['[{"match":"(?i)a","regex":true,"spec":"cpu=4"},{"match":"a\\\\z","regex":true,"spec":"cpu=4"}]', 'rule 1'],
    ['[{"match":"[[:alpha:]]+","regex":true,"spec":"cpu=4"}]', 'invalid regex'],
    [
      '[{"match":"(a)","regex":true,"spec":"cpu=$2"}]',
      'invalid spec "cpu=$2": $2 refers to group 2 but the regex has 1',
    ],
    ['[{"match":"(a)","regex":true,"spec":"cpu=${n}"}]', '${n} names no group'],
    ['[{"match":"(a)","regex":true,"spec":"cpu=$1x"}]', '${1x} names no group'],
    ['[{"match":"(a)","regex":true,"spec":"cpu=$"}]', "malformed '$'"],
    ['[{"match":"big","spec":"cpu=abc"}]', 'label alias rule 0 ("big"): invalid spec "cpu=abc": cpu=abc: cpu must be'],
    ['[{"match":"old","spec":"gen=3"}]', 'label alias rule 0 ("old"): invalid spec "gen=3": no instance types match'],
  ])('rule set %# is a start-up error', (raw, message) => {
    expect(configError(raw)).toContain(message);
    expect(compileAliases(raw)).toMatchObject(E.left({ code: 'invalid-aliases' }));
  });

  it('resolves literal rules once, at start-up', () => {
    expect(rules({ match: 'big', spec: 'cpu=16' })[0]).toMatchObject({
      kind: 'literal',
      jobSpec: { label: 'big', aliasLabel: 'big', pool: 'big', cpu: { min: 16, max: 32 } },
    });
  });
});

describe('parseJobLabels with aliases', () => {
  const shared = rules(
    { match: 'big-runner', spec: 'cpu=16+16/arch=amd64' },
    { match: '^shared-(?P<cpu>\\d+)cpu-(arm64|x64)$', regex: true, spec: 'cpu=${cpu}/arch=$2' },
    { match: 'gpu-(\\d+)', regex: true, spec: 'cpu=${1}/arch=amd64/pool=gpu' },
    { match: 'w(x)?-(\\d+)', regex: true, spec: 'cpu=$2$1' },
    { match: '^shared-', regex: true, spec: 'cpu=2' },
    { match: 'not a pool', spec: 'cpu=2' },
  );
  const parse = (...labels: string[]) => parseJobLabels(labels, shared);

  it('a literal rule matches by exact equality only', () => {
    expect(parse('big-runner')).toMatchObject(
      E.right({ label: 'big-runner', aliasLabel: 'big-runner', cpu: { min: 16, max: 16 } }),
    );
    expect(parse('big-runner2')).toMatchObject(E.left({ code: 'not-ours' }));
  });

  it('translates RE2 named groups and expands ${name} and $2', () => {
    expect(parse('self-hosted', 'shared-8cpu-x64')).toMatchObject(
      E.right({
        label: 'shared-8cpu-x64',
        aliasLabel: 'shared-8cpu-x64',
        runId: null,
        cpu: { min: 8, max: 16 },
        arch: 'amd64',
      }),
    );
  });

  it('matches regex rules unanchored and expands ${1}', () => {
    expect(parse('my-gpu-4-box')).toMatchObject(E.right({ cpu: { min: 4, max: 8 }, label: 'my-gpu-4-box' }));
  });

  it('expands a group that took no part in the match to an empty string, as Go does', () => {
    expect(parse('w-4')).toMatchObject(E.right({ cpu: { min: 4, max: 8 } }));
  });

  it('the first matching rule wins', () => {
    expect(parse('shared-4cpu-arm64')).toMatchObject(E.right({ arch: 'arm64', cpu: { min: 4, max: 8 } }));
    expect(parse('shared-xl')).toMatchObject(E.right({ arch: null, cpu: { min: 2, max: 4 } }));
  });

  it('the first label (in runs-on order) that any rule matches wins', () => {
    expect(parse('x', 'gpu-8', 'big-runner')).toMatchObject(E.right({ label: 'gpu-8' }));
  });

  it('the marker beats aliases wherever it stands', () => {
    expect(parse('big-runner', 'runs-fleet/cpu=2')).toMatchObject(
      E.right({ label: 'runs-fleet/cpu=2', aliasLabel: null, pool: null }),
    );
  });

  it('the alias label becomes the pool when the spec names none and it is a legal pool name', () => {
    expect(parse('shared-8cpu-arm64')).toMatchObject(E.right({ pool: 'shared-8cpu-arm64' }));
    expect(parse('gpu-4')).toMatchObject(E.right({ pool: 'gpu' }));
  });

  it('but not when the alias label is no legal pool name', () => {
    expect(parse('not a pool')).toMatchObject(E.right({ pool: null, aliasLabel: 'not a pool' }));
    const long = `gpu-${'1'.repeat(70)}`;
    const noPool = rules({ match: 'gpu-1', regex: true, spec: 'cpu=2' });
    expect(parseJobLabels([long], noPool)).toMatchObject(E.right({ pool: null, label: long }));
  });

  it('a bad expansion leaves the job alone: not-ours, with the reason', () => {
    const huge = parse('gpu-99999');
    expect(huge).toMatchObject(E.left({ code: 'not-ours' }));
    expect(E.isLeft(huge) && huge.left.message).toContain('no-matching-instance-types');
  });

  it('a regex rule whose expansion is invalid names the rule and the problem', () => {
    const cpuFromText = rules({ match: '^ci-(\\w+)$', regex: true, spec: 'cpu=$1' });
    const result = parseJobLabels(['ci-large'], cpuFromText);
    expect(result).toMatchObject(E.left({ code: 'not-ours' }));
    expect(E.isLeft(result) && result.left.message).toContain('alias rule 0');
    expect(E.isLeft(result) && result.left.message).toContain('cpu=large: cpu must be a whole number');
  });
});
