import { describe, expect, it } from 'vitest';
import { createMemoryCheckpointStore, createMemoryEventStore } from '../../adapters/store-memory/index.js';
import type { CheckpointStore, RecordedEvent } from '../../domain/store/index.js';
import { createFeedConsumer, type FeedConsumerOptions } from './feed-consumer.js';

const at = '2026-11-27T12:00:00.000Z';

const storeWith = async (count: number) => {
  const store = createMemoryEventStore();
  for (let i = 1; i <= count; i += 1) {
    await store.append(
      `job#${String(i % 3)}`,
      [{ type: 'Tick', data: { i }, metadata: { at } }],
      Math.floor((i - 1) / 3),
    );
  }
  return store;
};

const consumer = (overrides: Partial<FeedConsumerOptions> & Pick<FeedConsumerOptions, 'feed' | 'handle'>) =>
  createFeedConsumer({
    checkpoints: createMemoryCheckpointStore(),
    name: 'test',
    batchSize: 4,
    idleWaitMs: 10,
    backoff: { initialMs: 1, maxMs: 4 },
    ...overrides,
  });

const positions = (records: ReadonlyArray<RecordedEvent>) => records.map((r) => r.position);

describe('feed consumer', () => {
  it('catches up in position order, saving the checkpoint after each batch', async () => {
    const store = await storeWith(10);
    const checkpoints = createMemoryCheckpointStore();
    const seen: RecordedEvent[] = [];
    const savedWhileHandling: Array<number | undefined> = [];
    const c = consumer({
      feed: store,
      checkpoints,
      handle: async (r) => {
        seen.push(r);
        savedWhileHandling.push(await checkpoints.getCheckpoint('test'));
      },
    });
    await c.catchUp();
    expect(positions(seen)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(savedWhileHandling).toEqual([undefined, undefined, undefined, undefined, 4, 4, 4, 4, 8, 8]);
    expect(await checkpoints.getCheckpoint('test')).toBe(10);
    expect(await c.lag()).toBe(0);
  });

  it('runs afterBatch once per batch, after its records and before its checkpoint', async () => {
    const store = await storeWith(10);
    const checkpoints = createMemoryCheckpointStore();
    const log: string[] = [];
    const c = consumer({
      feed: store,
      checkpoints,
      handle: async (r) => void log.push(`handle ${String(r.position)}`),
      afterBatch: async () => void log.push(`afterBatch (saved ${String(await checkpoints.getCheckpoint('test'))})`),
    });
    await c.catchUp();
    expect(log.filter((line) => line.startsWith('afterBatch'))).toEqual([
      'afterBatch (saved undefined)',
      'afterBatch (saved 4)',
      'afterBatch (saved 8)',
    ]);
    expect(log.indexOf('afterBatch (saved 4)')).toBe(log.indexOf('handle 8') + 1);
  });

  it('continues after its saved checkpoint, by name', async () => {
    const store = await storeWith(6);
    const checkpoints = createMemoryCheckpointStore();
    await checkpoints.saveCheckpoint('test', 4);
    await checkpoints.saveCheckpoint('other', 1);
    const seen: RecordedEvent[] = [];
    const c = consumer({ feed: store, checkpoints, handle: async (r) => void seen.push(r) });
    expect(await c.lag()).toBe(2);
    await c.catchUp();
    expect(positions(seen)).toEqual([5, 6]);
  });

  it('retries a throwing record without moving past it', async () => {
    const store = await storeWith(3);
    const seen: Array<number | undefined> = [];
    const errors: number[] = [];
    let failures = 3;
    const c = consumer({
      feed: store,
      handle: async (r) => {
        seen.push(r.position);
        if (r.position === 2 && failures-- > 0) throw new Error('store unreachable');
      },
      onError: (_error, failure) => void errors.push(failure.attempt),
    });
    await c.catchUp();
    expect(seen).toEqual([1, 2, 2, 2, 2, 3]);
    expect(errors).toEqual([1, 2, 3]);
  });

  it('tails appends once started, and stops gracefully with the checkpoint saved', async () => {
    const store = await storeWith(2);
    const checkpoints = createMemoryCheckpointStore();
    const seen: RecordedEvent[] = [];
    const c = consumer({ feed: store, checkpoints, idleWaitMs: 5_000, handle: async (r) => void seen.push(r) });
    c.start();
    c.start();
    await store.append('pool#p', [{ type: 'Tick', data: {}, metadata: { at } }], 0);
    await expect.poll(() => seen.length).toBe(3);
    const started = performance.now();
    await c.stop();
    // The append woke the loop and stop aborted its wait: neither waited for idleWaitMs.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await checkpoints.getCheckpoint('test')).toBe(3);
    expect(positions(seen)).toEqual([1, 2, 3]);
  });

  it('on stop, leaves a record that keeps failing for next time', async () => {
    const store = await storeWith(3);
    const checkpoints = createMemoryCheckpointStore();
    const c = consumer({
      feed: store,
      checkpoints,
      batchSize: 10,
      handle: async (r) => {
        if (r.position === 3) throw new Error('down');
      },
    });
    c.start();
    await expect.poll(async () => (await store.readAfter(0, 10)).length).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await c.stop();
    expect(await checkpoints.getCheckpoint('test')).toBe(2);
  });

  it('replays what was handled but not checkpointed when the process dies in between', async () => {
    const store = await storeWith(5);
    const durable = createMemoryCheckpointStore();
    // The first process dies before any checkpoint lands: its saves never reach the store.
    const dying: CheckpointStore = {
      getCheckpoint: durable.getCheckpoint,
      saveCheckpoint: () => new Promise(() => {}),
    };
    const first: RecordedEvent[] = [];
    void consumer({ feed: store, checkpoints: dying, handle: async (r) => void first.push(r) }).catchUp();
    await expect.poll(() => first.length).toBe(4);
    const second: RecordedEvent[] = [];
    await consumer({ feed: store, checkpoints: durable, handle: async (r) => void second.push(r) }).catchUp();
    expect(positions(second)).toEqual([1, 2, 3, 4, 5]);
  });
});
