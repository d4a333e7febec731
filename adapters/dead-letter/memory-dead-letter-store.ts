import { deadLetterKey } from '../../domain/store/index.js';
import type { DeadLetterEntry, DeadLetterStore } from '../../domain/store/index.js';

/** A JSON round trip, so the memory store keeps exactly what the durable ones keep (no undefined, no Dates). */
const asStored = (entry: DeadLetterEntry): DeadLetterEntry => ({
  ...entry,
  raw: JSON.parse(JSON.stringify(entry.raw) ?? 'null') as unknown,
});

/** Dead letters in a map, for tests and the in-process pipeline; insertion order. */
export const createMemoryDeadLetterStore = (): DeadLetterStore & { readonly size: number } => {
  const entries = new Map<string, DeadLetterEntry>();

  return {
    get size() {
      return entries.size;
    },
    put: (entry) =>
      new Promise((resolve) => {
        const key = deadLetterKey(entry);
        if (!entries.has(key)) entries.set(key, asStored(entry));
        resolve();
      }),
    list: async function* () {
      yield* [...entries.values()];
    },
  };
};
