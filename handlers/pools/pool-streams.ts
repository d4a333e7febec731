import * as E from 'fp-ts/lib/Either.js';
import { decodeRecorded, type Envelope } from '../../domain/events/domain-event.js';
import type { PoolEvent } from '../../domain/events/pool-events.js';
import { poolStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { evolvePoolView, initialPoolView, type PoolView } from '../../projections/pool-view.js';
import { UndecodableStreamError } from '../app/decide-and-append.js';

/** A pool folded from its stream, read consistently (for the CLI, which has no read models at hand). */
export const readPool = async (store: EventStore, name: string): Promise<PoolView> => {
  let view = initialPoolView(name);
  for (const recorded of await store.read(poolStreamId(name))) {
    const decoded = decodeRecorded(recorded);
    if (E.isLeft(decoded)) throw new UndecodableStreamError(recorded.streamId, JSON.stringify(decoded.left));
    view = evolvePoolView(view, decoded.right as Envelope<PoolEvent>);
  }

  return view;
};

export const listPools = async (store: EventStore): Promise<PoolView[]> => {
  const names: string[] = [];
  for await (const streamId of store.listStreams('pool')) names.push(streamId.slice('pool#'.length));
  names.sort();

  return Promise.all(names.map((name) => readPool(store, name)));
};
