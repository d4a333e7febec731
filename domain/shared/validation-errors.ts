import type * as t from 'io-ts';

/**
 * Turns io-ts errors into one line that names each failing field by its path, e.g.
 * `workflow_job.id: expected number, got "abc"`. Used for 400 answers and quarantine reasons.
 */
export const formatValidationErrors = (errors: t.Errors, limit = 5): string => {
  const lines = errors.slice(0, limit).map((error) => {
    // Keys that only pick a member of a union or an intersection are not part of the field's path.
    const path = error.context
      .filter((entry, index) => {
        const parent = (error.context[index - 1]?.type as { _tag?: string } | undefined)?._tag;

        return entry.key !== '' && parent !== 'UnionType' && parent !== 'IntersectionType';
      })
      .map((entry) => entry.key)
      .join('.');
    const last = error.context[error.context.length - 1];
    const expected = last?.type.name ?? 'a valid value';
    const got = error.value === undefined ? 'nothing' : JSON.stringify(error.value)?.slice(0, 60);

    return `${path === '' ? '(root)' : path}: expected ${expected}, got ${got}`;
  });
  const more = errors.length > limit ? ` (+${errors.length - limit} more)` : '';

  return lines.join('; ') + more;
};
