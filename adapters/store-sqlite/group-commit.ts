/**
 * Group commit: appends submitted in the same tick (and until the next `setImmediate`) are committed by ONE
 * transaction, so they share one fsync. `commit` runs the whole batch synchronously and returns one outcome per item
 * (a failing item must not fail the others); if `commit` itself throws (BEGIN, COMMIT or the disk failed), nothing
 * was written and every caller of the batch gets that error. Callers are settled only after `commit` returned, that
 * is after COMMIT: an acknowledgement is a durable write.
 */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export interface GroupCommitStats {
  /** Transactions run (batches flushed). */
  readonly flushes: number;
  /** Items carried by those transactions. */
  readonly items: number;
  readonly largestBatch: number;
}

export interface GroupCommitQueue<I, O> {
  submit(item: I): Promise<O>;
  /** Commits everything pending now, synchronously (used by close). */
  drain(): void;
  stats(): GroupCommitStats;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

export const createGroupCommitQueue = <I, O>(
  commit: (items: ReadonlyArray<I>) => ReadonlyArray<Outcome<O>>,
  maxBatch: number,
): GroupCommitQueue<I, O> => {
  let pending: Array<Pending<I, O>> = [];
  let timer: NodeJS.Immediate | undefined;
  let stats: GroupCommitStats = { flushes: 0, items: 0, largestBatch: 0 };

  const settle = (batch: ReadonlyArray<Pending<I, O>>, outcomes: ReadonlyArray<Outcome<O>>): void => {
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) p.reject(new Error('group commit: no outcome for an append'));
      else if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    });
  };

  const flushOne = (): void => {
    const batch = pending.slice(0, maxBatch);
    pending = pending.slice(maxBatch);
    stats = {
      flushes: stats.flushes + 1,
      items: stats.items + batch.length,
      largestBatch: Math.max(stats.largestBatch, batch.length),
    };
    let outcomes: ReadonlyArray<Outcome<O>>;
    try {
      outcomes = commit(batch.map((p) => p.item));
    } catch (error) {
      batch.forEach((p) => p.reject(error));
      return;
    }
    settle(batch, outcomes);
  };

  const onImmediate = (): void => {
    timer = undefined;
    flushOne();
    // A backlog larger than one batch continues on the next turn, letting I/O callbacks run in between.
    if (pending.length > 0) timer = setImmediate(onImmediate);
  };

  return {
    submit: (item) =>
      new Promise<O>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        timer ??= setImmediate(onImmediate);
      }),
    drain: () => {
      if (timer !== undefined) clearImmediate(timer);
      timer = undefined;
      while (pending.length > 0) flushOne();
    },
    stats: () => stats,
  };
};
