import * as E from 'fp-ts/lib/Either.js';
import type { EventMetadata, EventStore, RecordedEvent } from '../../domain/store/event-store.js';

/**
 * The only impure caller of a decider (STYLE item 12): load the stream, fold, decide, append at the version read,
 * and on a version conflict reload and decide again, a bounded number of times. A decision of no events is success.
 *
 * A caller that has just read or written the stream passes what it knows (`known`), which saves the first read: an
 * append at its version succeeds only when nothing was appended since, so a decision from it that is recorded was
 * made on the current state. A decision from it that records nothing is checked again on a fresh read.
 */
export interface Decider<S, C, Ev extends { type: string; data: unknown }, R> {
  readonly initial: S;
  readonly evolve: (state: S, event: Ev, version: number) => S;
  readonly decide: (command: C, state: S) => E.Either<R, ReadonlyArray<Ev>>;
  /** Turns a stored record back into an event; a record it cannot read stops the command (never guessed at). */
  readonly decode: (recorded: RecordedEvent) => E.Either<string, Ev>;
}

export type DecideOutcome<Ev, R, S = unknown> =
  | { readonly kind: 'appended'; readonly events: ReadonlyArray<Ev>; readonly version: number; readonly state: S }
  | { readonly kind: 'unchanged'; readonly version: number; readonly state: S }
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

export interface Known<S> {
  readonly state: S;
  readonly version: number;
}

export interface DecideOptions<S> {
  readonly maxRetries?: number;
  readonly known?: Known<S>;
}

/** The stream's state and version, folded with the decider's own decode and evolve. */
export const foldStream = <S, C, Ev extends { type: string; data: unknown }, R>(
  decider: Decider<S, C, Ev, R>,
  streamId: string,
  history: ReadonlyArray<RecordedEvent>,
): Known<S> => {
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
  options: DecideOptions<S> = {},
): Promise<DecideOutcome<Ev, R, S>> => {
  const maxRetries = options.maxRetries ?? MAX_CONFLICT_RETRIES;
  let known = options.known;
  let attempts = 0;
  while (attempts < maxRetries) {
    const assumed = known;
    known = undefined;
    const { state, version } = assumed ?? foldStream(decider, streamId, await store.read(streamId));
    const decision = decider.decide(command, state);
    // What was known may be behind the stream; only an append at its version proves it current.
    if (assumed !== undefined && (E.isLeft(decision) || decision.right.length === 0)) continue;
    attempts += 1;
    if (E.isLeft(decision)) return { kind: 'rejected', rejection: decision.left };
    if (decision.right.length === 0) return { kind: 'unchanged', version, state };
    const events = decision.right.map((event) => ({ type: event.type, data: event.data, metadata }));
    const appended = await store.append(streamId, events, version);
    if (E.isRight(appended)) {
      const after = decision.right.reduce((s, event, i) => decider.evolve(s, event, version + 1 + i), state);

      return { kind: 'appended', events: decision.right, version: appended.right.version, state: after };
    }
  }

  return { kind: 'conflict-retries-exhausted', attempts: maxRetries };
};
