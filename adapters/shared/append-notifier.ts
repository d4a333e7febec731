/**
 * Wakes `ChangeFeed.waitForAppend` callers when this process commits an event past the position they wait after.
 * (Shared by the memory and SQLite stores: adapters/shared holds helpers any adapter may use, no ports.)
 */
export interface AppendNotifier {
  /** `currentHead` is read by the caller in the same tick, so a commit cannot slip between check and registration. */
  wait(after: number, currentHead: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Call after every commit with the new head position. */
  notify(head: number): void;
  /** Resolves every waiter (on close). */
  wakeAll(): void;
}

interface Waiter {
  readonly after: number;
  readonly finish: () => void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export const createAppendNotifier = (): AppendNotifier => {
  const waiters = new Set<Waiter>();

  const wait = (after: number, currentHead: number, timeoutMs: number, signal?: AbortSignal): Promise<void> => {
    if (currentHead > after || signal?.aborted === true || timeoutMs <= 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        waiters.delete(waiter);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const waiter: Waiter = { after, finish };
      const timer = timeoutMs <= MAX_TIMER_MS ? setTimeout(finish, timeoutMs) : undefined;
      signal?.addEventListener('abort', finish, { once: true });
      waiters.add(waiter);
    });
  };

  const notify = (head: number): void => {
    for (const waiter of [...waiters]) {
      if (head > waiter.after) waiter.finish();
    }
  };

  const wakeAll = (): void => {
    for (const waiter of [...waiters]) waiter.finish();
  };

  return { wait, notify, wakeAll };
};
