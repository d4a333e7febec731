import type { EventMetadata, EventStore, NewEvent } from '../../domain/store/index.js';

/** A suffix unique to this process and run, so contract suites can share a table with other runs. */
export const runId = (): string => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export const AT = '2024-05-01T10:00:00.000Z';

export const newEvent = (type: string, data: unknown = {}, metadata: EventMetadata = { at: AT }): NewEvent => ({
  type,
  data,
  metadata,
});

export const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Turns a synchronous throw into a rejection, so `rejects` assertions hold whichever way an adapter fails. */
export const attempt = <T>(fn: () => Promise<T>): Promise<T> => new Promise<T>((resolve) => resolve(fn()));

export const currentVersion = async (store: EventStore, streamId: string): Promise<number> => {
  const events = await store.read(streamId);
  return events.at(-1)?.version ?? 0;
};

export const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

/** Retries an assertion until it passes or `timeoutMs` passes (for eventually consistent indexes). */
export const eventually = async (check: () => Promise<void>, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
};
