import { GithubFailureError, type GithubFailure } from '../../domain/ports/github.js';
import { httpFailureOf, isRateLimited } from './retry.js';

/**
 * What the adapter throws. Octokit's RequestError carries the response body (and its message quotes it); neither
 * leaves the adapter: callers get the call, the status and a kind, nothing GitHub wrote.
 */

/** Retries ran out (network, timeout, 429, 5xx, rate-limited 403): try again later. */
export class GithubTransientError extends Error {
  constructor(
    readonly call: string,
    readonly status: number | null,
  ) {
    super(`${call}: ${status === null ? 'no answer' : `answered ${status}`} (retries exhausted)`);
    this.name = 'GithubTransientError';
  }
}

const kindOf = (status: number): GithubFailure['kind'] => {
  if (status === 404 || status === 410) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 401 || status === 403) return 'forbidden';

  return 'invalid';
};

/** Turns whatever octokit threw into a port error; `call` is `METHOD /path`. */
export const portError = (call: string, error: unknown): Error => {
  const failure = httpFailureOf(error);
  const { status } = failure;
  if (status === null || status === 429 || status >= 500 || isRateLimited(failure))
    return new GithubTransientError(call, status);

  return new GithubFailureError({ kind: kindOf(status), message: `${call} answered ${status}` });
};

export const invalidAnswer = (call: string, what: string): GithubFailureError =>
  new GithubFailureError({ kind: 'invalid', message: `${call}: ${what}` });

export const statusOf = (error: unknown): number | null => httpFailureOf(error).status;
