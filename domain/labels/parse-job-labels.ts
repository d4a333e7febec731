import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as O from 'fp-ts/lib/Option.js';
import type { AliasRule } from './aliases.js';
import { resolveAlias } from './aliases.js';
import { buildJobSpec } from './build-spec.js';
import type { JobSpec } from './job-spec.js';
import { findMarker } from './marker.js';
import type { LabelRejection } from './rejection.js';
import { notOurs } from './rejection.js';

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
    O.map((m) => buildJobSpec({ label: m.label, aliasLabel: null, runId: m.runId }, m.spec, m.warnings)),
    O.alt(() => resolveAlias(labels, aliases)),
    O.getOrElse(() =>
      E.left<LabelRejection, JobSpec>(
        notOurs(`no runs-fleet marker and no alias rule matched labels ${JSON.stringify(labels)}`),
      ),
    ),
  );
