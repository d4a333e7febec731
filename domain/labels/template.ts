import * as E from 'fp-ts/lib/Either.js';
import type { CompiledPattern } from './re2.js';

type Part = { readonly text: string } | { readonly group: number | string };

/** An alias spec with its `$1`, `${1}`, `$name`, `${name}` references located and checked against the pattern. */
export type Template = ReadonlyArray<Part>;

const NAME = /^[A-Za-z0-9_]+/;
const BRACED = /^\{([A-Za-z0-9_]+)\}/;

/** As in Go's ExpandString: a bare reference takes the longest run of name characters, so `$1x` means `${1x}`. */
const reference = (rest: string): { name: string; length: number } | null => {
  const braced = BRACED.exec(rest);
  if (braced !== null) return { name: braced[1] ?? '', length: braced[0].length };
  const bare = NAME.exec(rest);

  return bare === null ? null : { name: bare[0], length: bare[0].length };
};

const checkGroup = (name: string, pattern: CompiledPattern): E.Either<string, number | string> => {
  if (/^\d+$/.test(name)) {
    const n = Number(name);

    return n <= pattern.groupCount
      ? E.right(n)
      : E.left(`$${name} refers to group ${n} but the regex has ${pattern.groupCount}`);
  }

  return pattern.groupNames.includes(name) ? E.right(name) : E.left(`\${${name}} names no group of the regex`);
};

/**
 * Locates the references of a spec. Go expands an unknown reference to '' and a malformed `$` to itself; both would
 * only hide a typo until a job arrives, so here they are start-up errors. `$$` is a literal `$`.
 */
export const parseTemplate = (spec: string, pattern: CompiledPattern): E.Either<string, Template> => {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < spec.length) {
    const dollar = spec.indexOf('$', i);
    if (dollar === -1) break;
    text += spec.slice(i, dollar);
    if (spec[dollar + 1] === '$') {
      text += '$';
      i = dollar + 2;
      continue;
    }
    const ref = reference(spec.slice(dollar + 1));
    if (ref === null) return E.left(`malformed '$' at position ${dollar} (use $$ for a literal $)`);
    const group = checkGroup(ref.name, pattern);
    if (E.isLeft(group)) return group;
    parts.push({ text }, { group: group.right });
    text = '';
    i = dollar + 1 + ref.length;
  }
  parts.push({ text: text + spec.slice(i) });

  return E.right(parts.filter((p) => !('text' in p) || p.text !== ''));
};

/** A group that did not take part in the match expands to '', as in Go. */
export const expandTemplate = (template: Template, match: RegExpExecArray): string =>
  template
    .map((p) => ('text' in p ? p.text : typeof p.group === 'number' ? match[p.group] : match.groups?.[p.group]) ?? '')
    .join('');
