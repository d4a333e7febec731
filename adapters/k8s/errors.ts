import { ApiException } from '@kubernetes/client-node';
import type { LaunchErrorClass } from '../../domain/events/machine-events.js';

/**
 * What the API server's answers mean to us. Not-found and already-exists are outcomes, not errors (deletes and
 * creates by deterministic name are idempotent); anything the API server may answer differently on a retry (5xx,
 * timeouts, a dropped connection) is thrown for the command bus to retry.
 */
export const statusOf = (e: unknown): number | null => (e instanceof ApiException ? e.code : null);

export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;
export const isAlreadyExists = (e: unknown): boolean => statusOf(e) === 409;

/** The Status message the API server sent, else the error's own. */
export const apiMessage = (e: unknown): string => {
  if (e instanceof ApiException) {
    const body: unknown = e.body;
    const parsed: unknown = typeof body === 'string' ? safeJson(body) : body;
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed && typeof parsed.message === 'string') {
      return `${e.code}: ${parsed.message}`;
    }

    return `${e.code}: ${typeof body === 'string' && body !== '' ? body : e.message}`;
  }

  return e instanceof Error ? e.message : String(e);
};

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * A refusal worth recording as `MachineLaunchFailed`, or null for a transient error the caller should throw.
 * A ResourceQuota refusal is capacity (the namespace is full, like a region without spot capacity).
 */
export const launchErrorClass = (e: unknown): LaunchErrorClass | null => {
  const status = statusOf(e);
  if (status === null || status >= 500) return null;
  if (status === 403 && /exceeded quota/i.test(apiMessage(e))) return 'capacity';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 429) return 'throttled';
  if (status === 400 || status === 422 || status === 404) return 'invalid';

  return 'unknown';
};
