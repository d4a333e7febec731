import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { describeChangeFeedContract } from '../../test/contracts/change-feed.contract.js';
import { describeEventStoreContract } from '../../test/contracts/event-store.contract.js';
import { createMemoryCheckpointStore, createMemoryEventStore } from './index.js';

const AT = '2024-05-01T10:00:00.000Z';
const make = () => Promise.resolve({ store: createMemoryEventStore(), cleanup: () => Promise.resolve() });

describe('memory event store', () => {
  describeEventStoreContract('event store contract', make);
  describeChangeFeedContract('change feed contract', make);

  it('numbers positions 1, 2, 3, … without gaps, conflicts included', async () => {
    const store = createMemoryEventStore();
    await store.append('job#1', [{ type: 'A', data: {}, metadata: { at: AT } }], 0);
    await store.append('job#1', [{ type: 'X', data: {}, metadata: { at: AT } }], 0);
    await store.append(
      'job#2',
      [1, 2, 3].map((i) => ({ type: `B${String(i)}`, data: {}, metadata: { at: AT } })),
      0,
    );
    expect((await store.readAfter(0, 10)).map((e) => e.position)).toEqual([1, 2, 3, 4]);
    expect(await store.head()).toBe(4);
  });

  it('lists by exact category prefix: "job" does not list "jobs#…"', async () => {
    const store = createMemoryEventStore();
    for (const id of ['job#1', 'jobs#2', 'job2#3', 'job#4']) {
      expect(E.isRight(await store.append(id, [{ type: 'A', data: {}, metadata: { at: AT } }], 0))).toBe(true);
    }
    const listed: string[] = [];
    for await (const id of store.listStreams('job')) listed.push(id);
    expect(listed.sort()).toEqual(['job#1', 'job#4']);
  });

  it('remembers replay-only marks and checkpoints', async () => {
    const store = createMemoryEventStore();
    expect(await store.isReplayOnly()).toBe(false);
    await store.markReplayOnly();
    expect(await store.isReplayOnly()).toBe(true);
    const checkpoints = createMemoryCheckpointStore();
    expect(await checkpoints.getCheckpoint('projector')).toBeUndefined();
    await checkpoints.saveCheckpoint('projector', 42);
    await checkpoints.saveCheckpoint('projector', 7);
    expect(await checkpoints.getCheckpoint('projector')).toBe(7);
    await expect(checkpoints.saveCheckpoint('projector', -1)).rejects.toThrow(RangeError);
  });
});
