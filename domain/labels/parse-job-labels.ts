import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as O from 'fp-ts/lib/Option.js';
import type { AliasRule } from './aliases.js';
import { resolveAlias } from './aliases.js';
import { buildJobSpec } from './build-spec.js';
import type { JobSpec } from './job-spec.js';
import { findMarker } from './marker.js';
import type { LabelRejection } from './rejection.js';
import { invalidLabel, notOurs } from './rejection.js';

/**
 * The label a job asked with becomes its runner's label at GitHub and the `runs-fleet:label` tag of its EC2 instance,
 * whose value is at most 256 characters; longer labels are refused here rather than failing at launch. Aliases never
 * see a longer label either (no operator regex runs over a megabyte of text).
 */
export const MAX_LABEL_LENGTH = 256;
/** C0 and C1 controls, DEL, and the invisible or bidirectional format characters that make a label read as another. */
const UNSAFE_CHARACTER =
  // eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
  /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

const hex = (character: string): string => (character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
const codePoint = (character: string): string => `U+${hex(character)}`;
/** The label's start as a JSON string whose unsafe characters are escaped too (a message must not reorder itself). */
const shown = (label: string): string =>
  JSON.stringify(label.slice(0, 40)).replace(new RegExp(UNSAFE_CHARACTER.source, 'gu'), (c) => `\\u${hex(c)}`);

/** Why the label a job is served under cannot be used, naming it by its start and the rule it broke. */
const labelProblem = (label: string): LabelRejection | null => {
  const start = shown(label);
  if (label.length > MAX_LABEL_LENGTH) {
    return invalidLabel(
      `label ${start}… is ${label.length} characters long; a runs-fleet label has at most ${MAX_LABEL_LENGTH}`,
    );
  }
  const unsafe = UNSAFE_CHARACTER.exec(label);

  return unsafe === null
    ? null
    : invalidLabel(
        `label ${start} has the control or invisible character ${codePoint(unsafe[0])} at position ${unsafe.index}; ` +
          'a runs-fleet label has printable characters only',
      );
};

const checked = (label: string, spec: () => E.Either<LabelRejection, JobSpec>): E.Either<LabelRejection, JobSpec> => {
  const problem = labelProblem(label);

  return problem === null ? spec() : E.left(problem);
};

/**
 * Decides whether a job is ours and what it asked for (SPEC section 1). A native marker anywhere in `runs-on` beats
 * every alias; aliases are tried only when there is none. Total: every input gives a value, never an exception.
 */
export const parseJobLabels = (
  labels: ReadonlyArray<string>,
  aliases: ReadonlyArray<AliasRule>,
): E.Either<LabelRejection, JobSpec> =>
  pipe(
    findMarker(labels),
    O.map((m) =>
      checked(m.label, () => buildJobSpec({ label: m.label, aliasLabel: null, runId: m.runId }, m.spec, m.warnings)),
    ),
    O.alt(() =>
      pipe(
        resolveAlias(
          labels.filter((label) => label.length <= MAX_LABEL_LENGTH),
          aliases,
        ),
        O.map(E.flatMap((spec) => checked(spec.label, () => E.right(spec)))),
      ),
    ),
    O.getOrElse(() =>
      E.left<LabelRejection, JobSpec>(
        notOurs(`no runs-fleet marker and no alias rule matched labels ${JSON.stringify(labels)}`),
      ),
    ),
  );
