import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, retryDelayMs, type HttpFailure, type RetryPolicy } from './retry.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const policy: RetryPolicy = { ...defaultRetryPolicy, now: () => NOW, random: () => 0 };
const failure = (status: number | null, headers: Record<string, string> = {}): HttpFailure => ({ status, headers });

describe('retry delays (SPEC section 8)', () => {
  it.each([
    ['network error', failure(null), 0, 500],
    ['502, second retry', failure(502), 1, 1000],
    ['500, capped backoff', failure(500), 6, 10_000],
    ['429 without headers', failure(429), 2, 2000],
    ['429 Retry-After seconds', failure(429, { 'retry-after': '12' }), 0, 12_000],
    ['503 Retry-After HTTP date', failure(503, { 'retry-after': new Date(NOW + 5000).toUTCString() }), 0, 5000],
    [
      '403 rate limit until reset',
      failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': `${NOW / 1000 + 20}` }),
      0,
      20_000,
    ],
    [
      '403 reset far away, capped',
      failure(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': `${NOW / 1000 + 3600}` }),
      0,
      60_000,
    ],
    ['403 Retry-After', failure(403, { 'retry-after': '3' }), 0, 3000],
  ])('%s', (_, f, retry, expected) => {
    expect(retryDelayMs(f, retry, policy)).toBe(expected);
  });

  it.each([
    ['plain 403', failure(403, { 'x-ratelimit-remaining': '12' })],
    ['401', failure(401)],
    ['404', failure(404)],
    ['409', failure(409)],
    ['422', failure(422)],
  ])('never retries a %s', (_, f) => {
    expect(retryDelayMs(f, 0, policy)).toBeNull();
  });

  it('adds jitter of up to one base step', () => {
    expect(retryDelayMs(failure(500), 1, { ...policy, random: () => 0.999 })).toBe(1500);
  });
});
