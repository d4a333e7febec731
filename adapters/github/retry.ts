/**
 * SPEC section 8's retry rule, as one octokit `request` hook (outermost, so the installation-token request is retried
 * too): at most 3 retries, on network errors (and the 30 s timeout), 429, 5xx, and 403 only when rate-limited
 * (`Retry-After`, or `X-RateLimit-Remaining: 0`). The delay is what GitHub asked for (`Retry-After`, else the rate
 * limit's reset) capped at 60 s, else 500 ms·2^n plus up to 500 ms of jitter, capped at 10 s. Sleep, randomness and
 * the clock are injectable so tests run in milliseconds.
 */
import type { GithubLogger } from './logger.js';

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxBackoffMs: number;
  readonly maxServerDelayMs: number;
  /** Per attempt. */
  readonly timeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter. */
  readonly random: () => number;
  /** Epoch milliseconds: turns `X-RateLimit-Reset` and an HTTP-date `Retry-After` into a delay. */
  readonly now: () => number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxBackoffMs: 10_000,
  maxServerDelayMs: 60_000,
  timeoutMs: 30_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
};

/** What a failed call looked like: `status` null when no answer came (network error, timeout). */
export interface HttpFailure {
  readonly status: number | null;
  readonly headers: Readonly<Record<string, string>>;
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null;

/** Reads octokit's RequestError shape without importing it: a `response` means GitHub answered. */
export const httpFailureOf = (e: unknown): HttpFailure => {
  if (!isObject(e) || !isObject(e['response'])) return { status: null, headers: {} };
  const status = typeof e['status'] === 'number' ? e['status'] : null;
  const raw = e['response']['headers'];
  const headers: Record<string, string> = {};
  if (isObject(raw))
    for (const [name, value] of Object.entries(raw))
      if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);

  return { status, headers };
};

/** A 403 is retried only when it is a rate limit; any other 403 is a refusal. */
export const isRateLimited = ({ status, headers }: HttpFailure): boolean =>
  status === 403 && (headers['retry-after'] !== undefined || headers['x-ratelimit-remaining'] === '0');

const isRetryable = (failure: HttpFailure): boolean =>
  failure.status === null || failure.status === 429 || failure.status >= 500 || isRateLimited(failure);

/** The wait GitHub asked for, in ms, or null when it did not say. */
const serverDelayMs = (headers: Readonly<Record<string, string>>, now: number): number | null => {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers['x-ratelimit-reset'];
  if (headers['x-ratelimit-remaining'] === '0' && reset !== undefined && /^\d+$/.test(reset))
    return Math.max(0, Number(reset) * 1000 - now);

  return null;
};

/** The delay before retry number `retry` (0-based), or null when this failure is not retried at all. */
export const retryDelayMs = (failure: HttpFailure, retry: number, policy: RetryPolicy): number | null => {
  if (!isRetryable(failure)) return null;
  const asked = serverDelayMs(failure.headers, policy.now());
  if (asked !== null) return Math.min(asked, policy.maxServerDelayMs);
  const backoff = policy.baseDelayMs * 2 ** retry + policy.random() * policy.baseDelayMs;

  return Math.min(policy.maxBackoffMs, Math.round(backoff));
};

interface HookOptions {
  readonly method?: string;
  readonly url?: string;
  readonly request?: object;
}

/** The `request` hook: `octokit.hook.wrap('request', withRetries(policy, logger))`. */
export const withRetries =
  (policy: RetryPolicy, logger: GithubLogger) =>
  async <O extends HookOptions, R>(send: (options: O) => R | Promise<R>, options: O): Promise<R> => {
    // The route template (`/repos/{owner}/{repo}/…`): never a token, never a body.
    const call = `${options.method ?? 'GET'} ${options.url ?? ''}`;
    for (let retry = 0; ; retry += 1) {
      try {
        return await send({
          ...options,
          request: { ...options.request, signal: AbortSignal.timeout(policy.timeoutMs) },
        });
      } catch (error) {
        const failure = httpFailureOf(error);
        const delayMs = retry < policy.maxRetries ? retryDelayMs(failure, retry, policy) : null;
        if (delayMs === null) throw error;
        logger.warn({ call, status: failure.status, retry: retry + 1, delayMs }, 'GitHub call failed; retrying');
        await policy.sleep(delayMs);
      }
    }
  };
