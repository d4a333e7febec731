import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { compileAliases, parseJobLabels, type AliasRule } from '../../domain/labels/index.js';
import { MAX_LABEL_LENGTH } from '../../domain/labels/parse-job-labels.js';

/**
 * The label bounds of domain/labels/parse-job-labels.ts on the alias path, which the service tests
 * (label-injection.spec.ts) do not reach without an alias configuration: an operator's regex never runs over an
 * over-long label, and an alias-matched label with a control character is refused like a marker label.
 */
const aliases = (json: string): ReadonlyArray<AliasRule> => {
  const compiled = compileAliases(json);
  if (E.isLeft(compiled)) throw new Error(compiled.left.message);

  return compiled.right;
};

describe('label bounds on the alias path', () => {
  const rules = aliases('[{ "match": "^big-(\\\\d+)cpu", "regex": true, "spec": "cpu=$1" }]');

  it('takes a label of exactly the limit, and does not let an alias see a longer one (the job is not ours)', () => {
    const atLimit = `big-4cpu${'x'.repeat(MAX_LABEL_LENGTH - 'big-4cpu'.length)}`;
    expect(E.isRight(parseJobLabels([atLimit], rules))).toBe(true);
    const over = parseJobLabels([`${atLimit}x`], rules);
    expect(over).toMatchObject({ _tag: 'Left', left: { code: 'not-ours' } });
  });

  it('refuses an alias-matched label with a control character, naming it', () => {
    expect(parseJobLabels(['big-4cpu\u001b[2J'], rules)).toMatchObject({
      _tag: 'Left',
      left: { code: 'invalid-label', message: expect.stringContaining('U+001B') },
    });
  });

  it('refuses a marker label one character over the limit, and takes one at the limit', () => {
    const marker = 'runs-fleet/cpu=2/';
    const atLimit = `${marker}${'n'.repeat(MAX_LABEL_LENGTH - marker.length)}`;
    expect(E.isRight(parseJobLabels([atLimit], []))).toBe(true);
    expect(parseJobLabels([`${atLimit}n`], [])).toMatchObject({
      _tag: 'Left',
      left: {
        code: 'invalid-label',
        message: expect.stringContaining(`is ${String(MAX_LABEL_LENGTH + 1)} characters`),
      },
    });
  });
});
