export { sleep } from '../shared/sleep.js';

export const errorName = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' ? e.name : undefined;

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Exponential backoff with a cap: base, 2·base, 4·base, … ≤ max. */
export const backoffMs = (attempt: number, baseMs: number, maxMs: number): number =>
  Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));

/** The subset of a pino logger the stream consumers use. */
export interface StreamLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: StreamLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
