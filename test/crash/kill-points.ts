import type { ComputePort } from '../../domain/ports/compute.js';
import type { EventStore } from '../../domain/store/event-store.js';

/**
 * Where the crash test kills its child, chosen by wrapping ports in the test fixture, never by a switch in production
 * code. Each kill is a real SIGKILL to the process itself: no `finally`, no flush, no graceful anything.
 *
 *   launch:N   right after the cloud's Nth launch returned, before the outcome is appended (decided, done, unrecorded)
 *   append:N   right after the Nth append was acknowledged (recorded, nothing reacted to it yet)
 *   handled:N  right after the feed consumer applied the Nth record and dispatched its commands, before the
 *              checkpoint of its batch is saved (reacted in memory, commands in flight, position not durable)
 *   none       run to quiescence
 */
export type KillPoint =
  { readonly kind: 'none' } | { readonly kind: 'launch' | 'append' | 'handled'; readonly n: number };

export const parseKillPoint = (text: string): KillPoint => {
  if (text === 'none') return { kind: 'none' };
  const match = /^(launch|append|handled):([1-9][0-9]*)$/.exec(text);
  if (match === null)
    throw new Error(`kill point ${JSON.stringify(text)}: expected none, launch:N, append:N or handled:N`);
  return { kind: match[1] as 'launch' | 'append' | 'handled', n: Number(match[2]) };
};

export const formatKillPoint = (point: KillPoint): string =>
  point.kind === 'none' ? 'none' : `${point.kind}:${String(point.n)}`;

const die = (): Promise<never> => {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL cannot be caught; this only keeps the types honest until the kernel delivers it.
  return new Promise<never>(() => {});
};

/** Counts calls and kills the process right after the Nth one returned. */
const afterNth = (point: KillPoint, kind: KillPoint['kind']) => {
  let calls = 0;
  return async <T>(result: T): Promise<T> => {
    calls += 1;
    if (point.kind === kind && point.kind !== 'none' && calls === point.n) return die();
    return result;
  };
};

export const killAfterLaunch = (compute: ComputePort, point: KillPoint): ComputePort => {
  const after = afterNth(point, 'launch');
  return { ...compute, launch: async (command) => after(await compute.launch(command)) };
};

export const killAfterAppend = <S extends EventStore>(store: S, point: KillPoint): S => {
  const after = afterNth(point, 'append');
  return { ...store, append: async (...args) => after(await store.append(...args)) };
};

/** `handle` answers what the pipeline did: only records it applied (and reacted to) count. */
export const killAfterHandled = <R>(handle: (recorded: R) => Promise<string>, point: KillPoint) => {
  const after = afterNth(point, 'handled');
  return async (recorded: R): Promise<string> => {
    const outcome = await handle(recorded);
    return outcome === 'applied' ? after(outcome) : outcome;
  };
};
