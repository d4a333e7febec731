/** Where a change-feed consumer records how far it got, by consumer name. */
export interface CheckpointStore {
  /** The position saved under `name`, or `undefined` when nothing was saved yet. */
  getCheckpoint(name: string): Promise<number | undefined>;
  /** Saves (overwrites) the position for `name`; durable once the promise resolves. */
  saveCheckpoint(name: string, position: number): Promise<void>;
}
