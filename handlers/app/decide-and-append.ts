import * as E from 'fp-ts/lib/Either.js';
import type { EventMetadata, EventStore, RecordedEvent } from '../../domain/store/event-store.js';

/**
 * The only impure caller of a decider (STYLE item 12): load the stream, fold, decide, append at the version read,
 * and on a version conflict reload and decide again, a bounded number of times. A decision of no events is success.
 */
export interface Decider<S, C, Ev extends { type: string; data: unknown }, R> {
  readonly initial: S;
  readonly evolve: (state: S, event: Ev, version: number) => S;
  readonly decide: (command: C, state: S) => E.Either<R, ReadonlyArray<Ev>>;
  /** Turns a stored record back into an event; a record it cannot read stops the command (never guessed at). */
  readonly decode: (recorded: RecordedEvent) => E.Either<string, Ev>;
}

export type DecideOutcome<Ev, R> =
  | { readonly kind: 'appended'; readonly events: ReadonlyArray<Ev>; readonly version: number }
  | { readonly kind: 'unchanged'; readonly version: number }
  | { readonly kind: 'rejected'; readonly rejection: R }
  | { readonly kind: 'conflict-retries-exhausted'; readonly attempts: number };

export const MAX_CONFLICT_RETRIES = 5;

export class UndecodableStreamError extends Error {
  constructor(
    readonly streamId: string,
    readonly reason: string,
  ) {
    super(`stream ${streamId} holds an event this version cannot read: ${reason}`);
  }
}

const fold = <S, C, Ev extends { type: string; data: unknown }, R>(
  decider: Decider<S, C, Ev, R>,
  streamId: string,
  history: ReadonlyArray<RecordedEvent>,
): { state: S; version: number } => {
  let state = decider.initial;
  let version = 0;
  for (const recorded of history) {
    const decoded = decider.decode(recorded);
    if (E.isLeft(decoded)) throw new UndecodableStreamError(streamId, decoded.left);
    state = decider.evolve(state, decoded.right, recorded.version);
    version = recorded.version;
  }

  return { state, version };
};

export const decideAndAppend = async <S, C, Ev extends { type: string; data: unknown }, R>(
  store: EventStore,
  decider: Decider<S, C, Ev, R>,
  streamId: string,
  command: C,
  metadata: EventMetadata,
  maxRetries = MAX_CONFLICT_RETRIES,
): Promise<DecideOutcome<Ev, R>> => {
  for (let attempt = 1; attempt <= maxRetries; attempt += 1) {
    const { state, version } = fold(decider, streamId, await store.read(streamId));
    const decision = decider.decide(command, state);
    if (E.isLeft(decision)) return { kind: 'rejected', rejection: decision.left };
    if (decision.right.length === 0) return { kind: 'unchanged', version };
    const events = decision.right.map((event) => ({ type: event.type, data: event.data, metadata }));
    const appended = await store.append(streamId, events, version);
    if (E.isRight(appended)) return { kind: 'appended', events: decision.right, version: appended.right.version };
  }

  return { kind: 'conflict-retries-exhausted', attempts: maxRetries };
};
