import type { MemoryEventStore } from '../../adapters/store-memory/index.js';
import type { Pipeline } from '../../handlers/app/pipeline.js';

interface Idles {
  idle(): Promise<void>;
}

/**
 * The in-process worlds' "run until nothing moves": pump the store's change feed through the pipeline, wait for the
 * bus, and stop when a pass found nothing new and the store's head is where the feed stands.
 */
export const createSettler = (store: MemoryEventStore, pipeline: Pipeline, bus: Idles): (() => Promise<void>) => {
  let position = 0;

  return async () => {
    for (;;) {
      const batch = await store.readAfter(position, 500);
      for (const recorded of batch) {
        await pipeline.handle(recorded);
        position = recorded.position ?? position;
      }
      await bus.idle();
      if (batch.length === 0 && (await store.head()) === position) return;
    }
  };
};
