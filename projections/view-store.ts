/**
 * The read-model port (DESIGN section 2): where views live between invocations (SQLite in the embedded service,
 * DynamoDB on AWS, memory in tests). Every write is conditional on the version the writer loaded, so a duplicate or
 * stale record can never regress a view, and two consumers racing on one view cannot both win.
 */
export type ViewKind = 'job' | 'machine' | 'pool' | 'runner-use' | 'breaker' | 'pool-claim';

export interface StoredView {
  readonly kind: ViewKind;
  readonly id: string;
  /**
   * For job, machine and pool views: the last version applied from their source stream. For the runner-use index,
   * the pool-claim index and the breaker (which fold many streams, idempotently): a revision that grows by one on every write.
   */
  readonly version: number;
  /** Whether the entity can still cause work (a job not finished, a machine not gone); `list` can filter on it. */
  readonly active: boolean;
  readonly body: unknown;
}

export interface ViewWrite {
  readonly view: StoredView;
  /** The version the writer loaded; 0 when the view did not exist. */
  readonly expectedVersion: number;
}

export interface ViewConflict {
  readonly kind: 'ViewConflict';
  readonly viewKind: ViewKind;
  readonly id: string;
  readonly expectedVersion: number;
}

export interface ViewStore {
  /** The stored views among `ids` (absent ones are simply missing from the answer). */
  get(kind: ViewKind, ids: ReadonlyArray<string>): Promise<ReadonlyArray<StoredView>>;
  /** Applies each write whose condition holds and returns the ones that did not (each write stands alone). */
  put(writes: ReadonlyArray<ViewWrite>): Promise<ReadonlyArray<ViewConflict>>;
  list(kind: ViewKind, options?: { readonly activeOnly?: boolean }): AsyncIterable<StoredView>;
}
