import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { createMemoryEventStore } from '../../adapters/store-memory/index.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { decideAndAppend, foldStream, type Decider } from './decide-and-append.js';

/** A counter that only counts up to a ceiling: `Add` records an event unless the ceiling is reached. */
type Added = { readonly type: 'Added'; readonly data: { readonly n: number } };
const ceiling = 3;
const counter: Decider<number, 'Add', Added, never> = {
  initial: 0,
  evolve: (state) => state + 1,
  decide: (_command, state) => E.right(state >= ceiling ? [] : [{ type: 'Added', data: { n: state + 1 } }]),
  decode: (recorded) => E.right(recorded as unknown as Added),
};
const meta = { at: '2026-11-28T00:00:00.000Z' };
const stream = 'counter#1';

const counting = (store: EventStore): { readonly store: EventStore; reads: () => number } => {
  let reads = 0;

  return {
    store: { ...store, read: (...args) => ((reads += 1), store.read(...args)) },
    reads: () => reads,
  };
};

const add = (store: EventStore, known?: { state: number; version: number }) =>
  decideAndAppend(store, counter, stream, 'Add', meta, known === undefined ? {} : { known });

describe('decideAndAppend with a known state', () => {
  it('appends without reading when what it knows is current, and hands back the state after the append', async () => {
    const memory = createMemoryEventStore();
    const first = await add(memory);
    if (first.kind !== 'appended') throw new Error(first.kind);
    const { store, reads } = counting(memory);

    const second = await add(store, { state: first.state, version: first.version });

    expect(reads()).toBe(0);
    expect(second).toMatchObject({ kind: 'appended', version: 2, state: 2 });
    expect(foldStream(counter, stream, await memory.read(stream))).toEqual({ state: 2, version: 2 });
  });

  it('decides again on a fresh read when the stream moved on since', async () => {
    const memory = createMemoryEventStore();
    const first = await add(memory);
    if (first.kind !== 'appended') throw new Error(first.kind);
    await add(memory);
    const { store, reads } = counting(memory);

    const stale = await add(store, { state: first.state, version: first.version });

    expect(reads()).toBe(1);
    expect(stale).toMatchObject({ kind: 'appended', version: 3, state: 3 });
    expect((await memory.read(stream)).map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('never takes "nothing to record" from what it knows: that is judged on a fresh read', async () => {
    const memory = createMemoryEventStore();
    await add(memory);
    const { store, reads } = counting(memory);

    // Claims the ceiling is reached; the stream holds one event, so two more are due.
    const outcome = await add(store, { state: ceiling, version: 1 });

    expect(reads()).toBe(1);
    expect(outcome).toMatchObject({ kind: 'appended', version: 2 });
  });
});
