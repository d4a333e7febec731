import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeFeed, EventStore, RecordedEvent } from '../../domain/store/index.js';
import { attempt, newEvent, range, runId } from './contract-helpers.js';

type FeedStore = EventStore & ChangeFeed;

const readAll = async (feed: ChangeFeed, after: number, pageSize = 100): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  for (let position = after; ;) {
    const page = await feed.readAfter(position, pageSize);
    if (page.length === 0) return out;
    out.push(...page);
    position = page.at(-1)?.position ?? position;
  }
};

const elapsedMs = async (work: () => Promise<void>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

const key = (e: RecordedEvent): string => `${e.streamId}@${String(e.version)}`;

/**
 * The change-feed contract (memory and SQLite stores): global positions in commit order, paging, wake-ups. Tests
 * measure from `head()` at their start, so `make` may hand out a store that already holds events.
 */
export const describeChangeFeedContract = (
  title: string,
  make: () => Promise<{ store: FeedStore; cleanup(): Promise<void> }>,
): void => {
  describe(title, () => {
    let store: FeedStore;
    let cleanup: (() => Promise<void>) | undefined;
    const run = runId();
    const sid = (category: string, name: string): string => `${category}#${run}-${name}`;

    beforeAll(async () => {
      ({ store, cleanup } = await make());
    }, 60_000);
    afterAll(async () => {
      await cleanup?.();
    }, 60_000);

    it('hands out growing positions in append order across streams; head is the last one', async () => {
      const start = await store.head();
      const a = sid('job', 'order-a');
      const b = sid('machine', 'order-b');
      await store.append(a, [newEvent('A1')], 0);
      await store.append(b, [newEvent('B1'), newEvent('B2')], 0);
      await store.append(a, [newEvent('A2')], 1);
      const feed = await readAll(store, start);
      expect(feed.map((e) => e.type)).toEqual(['A1', 'B1', 'B2', 'A2']);
      const positions = feed.map((e) => e.position ?? 0);
      expect(positions[0]).toBeGreaterThan(start);
      expect(positions.every((p, i) => i === 0 || p > (positions[i - 1] ?? 0))).toBe(true);
      expect(await store.head()).toBe(positions.at(-1));
      expect((await store.read(a)).map((e) => e.position)).toEqual([positions[0], positions[3]]);
    });

    it('lists events in the order their appends were acknowledged, conflicts left out', async () => {
      const start = await store.head();
      const acknowledged: string[] = [];
      const appends = range(1, 20).map((i) => {
        const streamId = sid('job', `ack-${String(i % 7)}`);
        const events = range(1, 1 + (i % 3)).map(() => newEvent('E', { i }));
        const expected = i <= 7 ? 0 : 99;
        return store.append(streamId, events, expected).then((result) => {
          if (E.isRight(result))
            acknowledged.push(...range(expected + 1, result.right.version).map((v) => `${streamId}@${String(v)}`));
          return result;
        });
      });
      const results = await Promise.all(appends);
      expect(results.filter(E.isRight)).toHaveLength(7);
      const feed = await readAll(store, start, 4);
      expect(feed.map(key)).toEqual(acknowledged);
    });

    it('pages with readAfter without skipping or repeating, and rejects bad arguments', async () => {
      const start = await store.head();
      const streamId = sid('pool', 'paging');
      await store.append(
        streamId,
        range(1, 11).map((i) => newEvent('E', { i })),
        0,
      );
      expect((await readAll(store, start, 3)).map((e) => e.version)).toEqual(range(1, 11));
      expect(await store.readAfter(await store.head(), 10)).toEqual([]);
      await expect(attempt(() => store.readAfter(-1, 10))).rejects.toThrow(RangeError);
      await expect(attempt(() => store.readAfter(start, 0))).rejects.toThrow(RangeError);
    });

    it('does not move the feed for a conflicting append', async () => {
      const streamId = sid('job', 'no-move');
      await store.append(streamId, [newEvent('A')], 0);
      const head = await store.head();
      expect(E.isLeft(await store.append(streamId, [newEvent('B')], 0))).toBe(true);
      expect(await store.head()).toBe(head);
    });

    describe('waitForAppend', () => {
      it('resolves at once when something is already past the position', async () => {
        await store.append(sid('job', 'wait-now'), [newEvent('E')], 0);
        const head = await store.head();
        expect(await elapsedMs(() => store.waitForAppend(head - 1, 10_000))).toBeLessThan(1_000);
      });

      it('wakes up on an append, long before its timeout', async () => {
        const head = await store.head();
        const waited = elapsedMs(() => store.waitForAppend(head, 10_000));
        setTimeout(() => void store.append(sid('job', 'wait-wake'), [newEvent('E')], 0), 30);
        expect(await waited).toBeLessThan(2_000);
        expect((await store.readAfter(head, 10)).map((e) => e.type)).toEqual(['E']);
      });

      it('resolves after the timeout when nothing is appended', async () => {
        const head = await store.head();
        const ms = await elapsedMs(() => store.waitForAppend(head, 60));
        expect(ms).toBeGreaterThanOrEqual(50);
        expect(ms).toBeLessThan(2_000);
      });

      it('resolves when its signal aborts, or at once when it already has', async () => {
        const head = await store.head();
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 30);
        expect(await elapsedMs(() => store.waitForAppend(head, 10_000, controller.signal))).toBeLessThan(2_000);
        expect(await elapsedMs(() => store.waitForAppend(head, 10_000, AbortSignal.abort()))).toBeLessThan(1_000);
      });
    });
  });
};
