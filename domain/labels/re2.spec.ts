import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { compileRe2, translateRe2 } from './re2.js';

describe('translateRe2', () => {
  it.each([
    ['(?P<size>\\d+)', '(?<size>\\d+)'],
    ['(?P<a>x)(?P<b>y)', '(?<a>x)(?<b>y)'],
    ['\\(?P<x>', '\\x28?P<x>'],
    ['[(?P<]', '[(?P<]'],
    ['[]a]', '[\\]a]'],
    ['[^]a]', '[^\\]a]'],
    ['a\\-b\\.c\\_', 'a\\x2db\\x2ec\\x5f'],
    ['\\d\\w\\s', '\\d\\w\\s'],
  ])('%s becomes %s', (re2, js) => {
    expect(translateRe2(re2)).toBe(js);
  });
});

describe('compileRe2', () => {
  it('reports groups and their names', () => {
    const compiled = compileRe2('^(?P<cpu>\\d+)-(a|b)(?:c)$');
    expect(compiled).toMatchObject(E.right({ groupCount: 2, groupNames: ['cpu'] }));
  });

  it('turns leading RE2 flags into JS flags', () => {
    const compiled = compileRe2('(?i)^BIG$');
    expect(E.isRight(compiled) && compiled.right.regex.test('big')).toBe(true);
  });

  it.each(['a(', '\\z', '\\Qa.b\\E', '[[:alpha:]]', 'a{', '(?P<1>x)'])('rejects %s instead of misreading it', (re2) => {
    expect(E.isLeft(compileRe2(re2))).toBe(true);
  });
});
