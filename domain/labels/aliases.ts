import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as O from 'fp-ts/lib/Option.js';
import * as t from 'io-ts';
import { buildJobSpec } from './build-spec.js';
import type { JobSpec } from './job-spec.js';
import type { CompiledPattern } from './re2.js';
import { compileRe2 } from './re2.js';
import type { LabelRejection } from './rejection.js';
import { notOurs } from './rejection.js';
import type { Template } from './template.js';
import { expandTemplate, parseTemplate } from './template.js';

/** A bad `RUNS_FLEET_LABEL_ALIASES`: the orchestrator must not start with it. */
export interface AliasConfigError {
  readonly code: 'invalid-aliases';
  readonly message: string;
}

interface RuleBase {
  readonly index: number;
  readonly match: string;
  readonly spec: string;
}
/** A literal rule's spec cannot change per job, so it is resolved once, when the rules are compiled. */
export interface LiteralAliasRule extends RuleBase {
  readonly kind: 'literal';
  readonly jobSpec: JobSpec;
}
export interface RegexAliasRule extends RuleBase {
  readonly kind: 'regex';
  readonly pattern: CompiledPattern;
  readonly template: Template;
}
export type AliasRule = LiteralAliasRule | RegexAliasRule;

const RawRule = t.intersection([t.type({ match: t.string, spec: t.string }), t.partial({ regex: t.boolean })]);
type RawRule = t.TypeOf<typeof RawRule>;

const configError = (message: string): AliasConfigError => ({ code: 'invalid-aliases', message });

const describeRule = (index: number, raw: RawRule): string =>
  `label alias rule ${index} (${JSON.stringify(raw.match)})`;

const compileRegex = (index: number, raw: RawRule): E.Either<string, AliasRule> =>
  pipe(
    compileRe2(raw.match),
    E.mapLeft((problem) => `invalid regex: ${problem}`),
    E.flatMap((pattern) =>
      pipe(
        parseTemplate(raw.spec, pattern),
        E.bimap(
          (problem) => `invalid spec ${JSON.stringify(raw.spec)}: ${problem}`,
          (template): AliasRule => ({ kind: 'regex', index, match: raw.match, spec: raw.spec, pattern, template }),
        ),
      ),
    ),
  );

const compileLiteral = (index: number, raw: RawRule): E.Either<string, AliasRule> =>
  pipe(
    buildJobSpec({ label: raw.match, aliasLabel: raw.match, runId: null }, raw.spec),
    E.bimap(
      (rejection) => `invalid spec ${JSON.stringify(raw.spec)}: ${rejection.message}`,
      (jobSpec): AliasRule => ({ kind: 'literal', index, match: raw.match, spec: raw.spec, jobSpec }),
    ),
  );

const compileRule = (value: unknown, index: number): E.Either<AliasConfigError, AliasRule> => {
  if (!RawRule.is(value)) {
    return E.left(
      configError(`label alias rule ${index}: must be an object {match: string, regex?: boolean, spec: string}`),
    );
  }
  if (value.match.trim() === '') return E.left(configError(`label alias rule ${index}: match is required`));
  const compiled =
    value.spec.trim() === ''
      ? E.left('spec is required')
      : value.regex === true
        ? compileRegex(index, value)
        : compileLiteral(index, value);

  return pipe(
    compiled,
    E.mapLeft((problem) => configError(`${describeRule(index, value)}: ${problem}`)),
  );
};

const parseJson = (raw: string): E.Either<AliasConfigError, unknown> =>
  E.tryCatch(
    () => JSON.parse(raw) as unknown,
    (e) => configError(`label aliases are not valid JSON: ${e instanceof Error ? e.message : String(e)}`),
  );

/**
 * Compiles `RUNS_FLEET_LABEL_ALIASES` (a JSON array of `{match, regex?, spec}`) once, at start-up, so that every
 * mistake that can be found without a job stops the orchestrator instead of silently dropping jobs later.
 */
export const compileAliases = (raw: string): E.Either<AliasConfigError, ReadonlyArray<AliasRule>> => {
  if (raw.trim() === '') return E.right([]);

  return pipe(
    parseJson(raw),
    E.flatMap((json) =>
      Array.isArray(json)
        ? E.right(json as ReadonlyArray<unknown>)
        : E.left(configError('label aliases must be a JSON array of {match, regex?, spec} rules')),
    ),
    E.flatMap(E.traverseReadonlyArrayWithIndex((index, value) => compileRule(value, index))),
  );
};

/** The job spec of one label, if the rule matches it. */
const applyRule = (rule: AliasRule, label: string): O.Option<E.Either<LabelRejection, JobSpec>> => {
  if (rule.kind === 'literal') return label === rule.match ? O.some(E.right(rule.jobSpec)) : O.none;
  const match = rule.pattern.regex.exec(label);
  if (match === null) return O.none;
  const spec = expandTemplate(rule.template, match);

  // The label may well belong to another fleet (during a migration both serve it), so a bad expansion leaves it alone.
  return O.some(
    pipe(
      buildJobSpec({ label, aliasLabel: label, runId: null }, spec),
      E.mapLeft((r) =>
        notOurs(
          `label ${JSON.stringify(label)} matched alias rule ${rule.index} but its spec ${JSON.stringify(spec)} was rejected (${r.code}): ${r.message}`,
        ),
      ),
    ),
  );
};

/** The first label (in `runs-on` order) that some rule matches, with the first such rule. */
export const resolveAlias = (
  labels: ReadonlyArray<string>,
  rules: ReadonlyArray<AliasRule>,
): O.Option<E.Either<LabelRejection, JobSpec>> => {
  for (const label of labels) {
    for (const rule of rules) {
      const applied = applyRule(rule, label);
      if (O.isSome(applied)) return applied;
    }
  }

  return O.none;
};
