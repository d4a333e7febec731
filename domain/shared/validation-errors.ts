import type * as t from 'io-ts';

/**
 * Turns io-ts errors into one line that names each failing field by its path, e.g.
 * `workflow_job.id: expected number, got "abc"`. Used for 400 answers and quarantine reasons.
 */
export const formatValidationErrors = (errors: t.Errors, limit = 5): string => {
  const lines = errors.slice(0, limit).map((error) => {
    const path = error.context
      .map((entry) => entry.key)
      .filter((key) => key !== '')
      .join('.');
    const last = error.context[error.context.length - 1];
    const expected = last?.type.name ?? 'a valid value';
    const got = error.value === undefined ? 'nothing' : JSON.stringify(error.value)?.slice(0, 60);

    return `${path === '' ? '(root)' : path}: expected ${expected}, got ${got}`;
  });
  const more = errors.length > limit ? ` (+${errors.length - limit} more)` : '';

  return lines.join('; ') + more;
};
