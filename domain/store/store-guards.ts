import { MAX_EVENTS_PER_APPEND } from './event-store.js';
import type { NewEvent } from './event-store.js';

/**
 * The argument checks every `EventStore.append` makes before touching storage, so all adapters fail alike (the
 * contract suite pins this). Breaking them is a programming error, thrown as a `RangeError`, never a `VersionConflict`:
 * an empty `events` array (callers skip the append when a decision produced nothing), more than
 * `MAX_EVENTS_PER_APPEND` events, an `expectedVersion` that is not a non-negative safe integer, an empty stream id.
 */
export const assertAppendArguments = (
  streamId: string,
  events: ReadonlyArray<NewEvent>,
  expectedVersion: number,
): void => {
  if (streamId.length === 0) {
    throw new RangeError('append: streamId must not be empty');
  }
  if (events.length === 0 || events.length > MAX_EVENTS_PER_APPEND) {
    throw new RangeError(
      `append: ${String(events.length)} events for ${streamId}; one append carries 1..${String(MAX_EVENTS_PER_APPEND)}`,
    );
  }
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
    throw new RangeError(`append: expectedVersion ${String(expectedVersion)} is not a non-negative integer`);
  }
};

/** `ChangeFeed.readAfter` arguments: `after` a non-negative integer, `limit` a positive one. */
export const assertReadAfterArguments = (after: number, limit: number): void => {
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new RangeError(`readAfter: position ${String(after)} is not a non-negative integer`);
  }
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`readAfter: limit ${String(limit)} is not a positive integer`);
  }
};
