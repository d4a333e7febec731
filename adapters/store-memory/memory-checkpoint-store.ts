import type { CheckpointStore } from '../../domain/store/index.js';

export const createMemoryCheckpointStore = (): CheckpointStore => {
  const checkpoints = new Map<string, number>();
  return {
    getCheckpoint: (name) => Promise.resolve(checkpoints.get(name)),
    saveCheckpoint: (name, position) => {
      if (!Number.isSafeInteger(position) || position < 0) {
        return Promise.reject(
          new RangeError(`saveCheckpoint: position ${String(position)} is not a non-negative integer`),
        );
      }
      checkpoints.set(name, position);
      return Promise.resolve();
    },
  };
};
