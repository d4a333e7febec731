/**
 * The subset of a pino logger the simulation uses. Whatever logger it is given, every line the simulation writes
 * carries `sim: true`, so nobody mistakes a simulated machine or a simulated GitHub for a real one.
 */
export interface SimLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: SimLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const simLogger = (base: SimLogger, component: 'sim-cloud' | 'sim-github' | 'sim-agent'): SimLogger => ({
  info: (obj, msg) => base.info({ sim: true, component, ...obj }, msg),
  warn: (obj, msg) => base.warn({ sim: true, component, ...obj }, msg),
  error: (obj, msg) => base.error({ sim: true, component, ...obj }, msg),
});

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
