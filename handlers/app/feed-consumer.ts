import type { ChangeFeed } from '../../domain/store/change-feed.js';
import type { CheckpointStore } from '../../domain/store/checkpoint-store.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';

/**
 * Tails a store's change feed (SQLite, memory) into `handle`, in position order, at least once: the checkpoint is
 * saved after each batch, so a crash between handling and saving replays those records on restart, which the
 * pipeline's per-stream version guards turn into no-ops. A throwing `handle` is transient: the same record is retried
 * with backoff and the feed does not move past it (skipping would lose it; the pipeline quarantines what is really
 * broken instead of throwing).
 */
export interface FeedConsumerOptions {
  readonly feed: ChangeFeed;
  readonly checkpoints: CheckpointStore;
  /** The checkpoint's name: one per consumer of the feed. */
  readonly name: string;
  readonly handle: (recorded: RecordedEvent) => Promise<unknown>;
  /** Records read per `readAfter`, and handled between two checkpoint saves (default 100). */
  readonly batchSize?: number;
  /** How long the running loop waits for an append before looking again (default 1000 ms; another process's
   * appends are only noticed when this passes). */
  readonly idleWaitMs?: number;
  /** Backoff after a failure: doubles from `initialMs` up to `maxMs` (default 50 ms to 5 s). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * Runs after each batch's records were handled and before its checkpoint is saved: where a consumer that keeps its
   * read models in memory persists them once per batch (one fsync) rather than once per record.
   */
  readonly afterBatch?: () => Promise<void>;
  /** Every failure (of `handle`, or of the feed or checkpoint store), for logs and metrics. */
  readonly onError?: (error: unknown, failure: { readonly recorded?: RecordedEvent; readonly attempt: number }) => void;
}

export interface FeedConsumer {
  /** Starts tailing in the background; a no-op when running. */
  start(): void;
  /** Finishes the record in hand, saves the checkpoint and resolves; a record still failing is left for next time. */
  stop(): Promise<void>;
  /** Handles everything up to the head as it is now (for startup and tests); safe while the loop runs. */
  catchUp(): Promise<void>;
  /** Head minus the saved checkpoint (0 when caught up). */
  lag(): Promise<number>;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export const createFeedConsumer = (options: FeedConsumerOptions): FeedConsumer => {
  const { feed, checkpoints, name, handle } = options;
  const batchSize = options.batchSize ?? 100;
  const idleWaitMs = options.idleWaitMs ?? 1_000;
  const backoff = options.backoff ?? { initialMs: 50, maxMs: 5_000 };
  // `stop` aborts every drain in progress: the background loop's and any `catchUp`'s.
  const running = new Set<AbortController>();
  let loop: Promise<void> | undefined;
  // `handled` runs ahead of `saved` within a batch; both start at the saved checkpoint, read on first use.
  let handled = 0;
  let saved = 0;
  let loading: Promise<void> | undefined;
  const load = (): Promise<void> => {
    loading ??= checkpoints.getCheckpoint(name).then(
      (position) => {
        handled = position ?? 0;
        saved = handled;
      },
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
  const withSignal = async (work: (signal: AbortSignal) => Promise<void>): Promise<void> => {
    const controller = new AbortController();
    running.add(controller);
    try {
      await work(controller.signal);
    } finally {
      running.delete(controller);
    }
  };
  // One drain at a time: the background loop and `catchUp` must not handle the same records concurrently.
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = lock.then(work);
    lock = run.catch(() => undefined);
    return run;
  };

  const backoffMs = (attempt: number): number => Math.min(backoff.maxMs, backoff.initialMs * 2 ** (attempt - 1));

  /** True once handled; false when asked to stop while the record keeps failing. */
  const handleOne = async (recorded: RecordedEvent, signal: AbortSignal): Promise<boolean> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await handle(recorded);
        return true;
      } catch (error) {
        options.onError?.(error, { recorded, attempt });
        if (signal.aborted) return false;
        await sleep(backoffMs(attempt), signal);
        if (signal.aborted) return false;
      }
    }
  };

  const save = async (): Promise<void> => {
    if (handled === saved) return;
    const position = handled;
    await options.afterBatch?.();
    await checkpoints.saveCheckpoint(name, position);
    saved = position;
  };

  /** One batch: handle in order, stop early when asked, then save. Returns how many records were handled. */
  const drainBatch = (signal: AbortSignal): Promise<number> =>
    exclusive(async () => {
      await load();
      const batch = await feed.readAfter(handled, batchSize);
      let count = 0;
      for (const recorded of batch) {
        if (recorded.position === undefined) throw new Error(`${name}: a change-feed record carries no position`);
        if (signal.aborted || !(await handleOne(recorded, signal))) break;
        handled = recorded.position;
        count += 1;
        // Give the event loop back between records: with a backlog, `readAfter` answers at once, and without this
        // the drain would hold off webhook acknowledgements until the whole backlog is through.
        await yieldToEventLoop();
      }
      await save();
      return count;
    });

  const catchUpUntilHead = async (signal: AbortSignal): Promise<void> => {
    await load();
    const target = await feed.head();
    // An empty batch: stop was asked, or nothing is left after `handled` (retention may have expired the rest).
    while (handled < target && !signal.aborted) {
      if ((await drainBatch(signal)) === 0) return;
    }
  };

  const run = async (signal: AbortSignal): Promise<void> => {
    for (let failures = 0; !signal.aborted;) {
      try {
        const count = await drainBatch(signal);
        failures = 0;
        if (count === 0 && !signal.aborted) await feed.waitForAppend(handled, idleWaitMs, signal);
      } catch (error) {
        // The feed or the checkpoint store failed (an unreachable store is transient): back off and read again.
        failures += 1;
        options.onError?.(error, { attempt: failures });
        await sleep(backoffMs(failures), signal);
      }
    }
  };

  return {
    start: () => {
      loop ??= withSignal(run).finally(() => {
        loop = undefined;
      });
    },
    stop: async () => {
      for (const controller of running) controller.abort();
      await loop;
      await exclusive(async () => {
        await load();
        await save();
      });
    },
    catchUp: () => withSignal(catchUpUntilHead),
    lag: async () => {
      await load();
      return Math.max(0, (await feed.head()) - saved);
    },
  };
};
