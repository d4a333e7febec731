import * as E from 'fp-ts/lib/Either.js';

/** A compiled alias pattern and what a spec template may reference in it. */
export interface CompiledPattern {
  readonly regex: RegExp;
  readonly groupCount: number;
  readonly groupNames: ReadonlyArray<string>;
}

const PUNCTUATION = /^[!-/:-@[-`{-~]$/;
const LEADING_FLAGS = /^\(\?([ims]+)\)/;

const hexEscape = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** RE2 lets any punctuation be escaped; JS's `u` mode allows only its own syntax characters, so spell them in hex. */
const escape = (next: string | undefined): string =>
  next === undefined ? '\\' : PUNCTUATION.test(next) ? hexEscape(next) : `\\${next}`;

/** Opening a class: RE2 reads a `]` right after `[` or `[^` as a literal, JS as the end of an empty class. */
const openClass = (source: string, i: number): { text: string; next: number } => {
  const negated = source[i + 1] === '^';
  const at = negated ? i + 2 : i + 1;
  const head = negated ? '[^' : '[';

  return source[at] === ']' ? { text: `${head}\\]`, next: at + 1 } : { text: head, next: at };
};

/**
 * Rewrites the RE2 syntax JS spells differently: `(?P<name>` becomes `(?<name>`, escaped punctuation becomes a hex
 * escape, a leading literal `]` in a class is escaped. Everything else is left for the JS compiler, which (in `u`
 * mode) rejects most of what it would otherwise misread, e.g. `\z`, `\Q…\E` or `[[:alpha:]]`.
 */
export const translateRe2 = (source: string): string => {
  let out = '';
  let inClass = false;
  let i = 0;
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === '\\') {
      out += escape(source[i + 1]);
      i += 2;
    } else if (inClass) {
      inClass = c !== ']';
      out += c;
      i += 1;
    } else if (c === '[') {
      const opened = openClass(source, i);
      out += opened.text;
      inClass = true;
      i = opened.next;
    } else if (source.startsWith('(?P<', i)) {
      out += '(?<';
      i += 4;
    } else {
      out += c;
      i += 1;
    }
  }

  return out;
};

const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Compiles an alias pattern written for Go's RE2. Leading flags such as `(?i)` become JS flags. `u` mode keeps `.`
 * per code point, as in Go. @debt JS regexes backtrack where RE2 is linear; patterns come from the operator, not users.
 */
export const compileRe2 = (source: string): E.Either<string, CompiledPattern> => {
  const flags = LEADING_FLAGS.exec(source);
  const body = translateRe2(flags === null ? source : source.slice(flags[0].length));
  const jsFlags = `u${flags?.[1] ?? ''}`;
  try {
    const regex = new RegExp(body, jsFlags);
    // Matching the empty alternative reports every group (undefined) and every group name.
    const probe = new RegExp(`${body}|`, jsFlags).exec('');

    return E.right({
      regex,
      groupCount: (probe?.length ?? 1) - 1,
      groupNames: Object.keys(probe?.groups ?? {}),
    });
  } catch (e) {
    return E.left(errorMessage(e));
  }
};
