import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { EventMetadata, RecordedEvent } from '../store/event-store.js';
import { JobEvent } from './job-events.js';
import { MachineEvent } from './machine-events.js';
import { PoolEvent } from './pool-events.js';
import { formatValidationErrors } from '../shared/validation-errors.js';

export const DomainEvent = t.union([JobEvent, MachineEvent, PoolEvent]);
export type DomainEvent = t.TypeOf<typeof DomainEvent>;
export type DomainEventType = DomainEvent['type'];

/** A decoded event with its place in the store: what projections and the process fold. */
export interface Envelope<E extends DomainEvent = DomainEvent> {
  readonly streamId: string;
  readonly version: number;
  readonly event: E;
  readonly metadata: EventMetadata;
}

// One codec per type, so a record runs its own codec instead of trying every member of the union in turn (which
// builds and throws away an error report per miss).
const CODEC_BY_TYPE = new Map<string, t.Decoder<unknown, DomainEvent>>(
  [JobEvent, MachineEvent, PoolEvent].flatMap((u) =>
    u.types.map((codec): [string, t.Decoder<unknown, DomainEvent>] => [
      codec.name,
      codec as t.Decoder<unknown, DomainEvent>,
    ]),
  ),
);
const KNOWN_TYPES = new Set<string>(CODEC_BY_TYPE.keys());

// io-ts combinators whose `is` holds exactly when `decode` succeeds, and whose `decode` then returns its input itself.
const IDENTITY_TAGS = new Set([
  'InterfaceType',
  'PartialType',
  'UnionType',
  'IntersectionType',
  'LiteralType',
  'KeyofType',
  'StringType',
  'NumberType',
  'BooleanType',
  'NullType',
  'UnknownType',
  'ArrayType',
  'ReadonlyArrayType',
  'ReadonlyType',
  'RefinementType',
]);

interface Parts {
  readonly _tag?: unknown;
  readonly props?: Readonly<Record<string, unknown>>;
  readonly types?: ReadonlyArray<unknown>;
  readonly type?: unknown;
}

const decodesToItself = (codec: unknown, seen: Set<unknown> = new Set()): boolean => {
  const parts = codec as Parts;
  if (typeof parts._tag !== 'string' || !IDENTITY_TAGS.has(parts._tag)) return false;
  if (seen.has(codec)) return true;
  seen.add(codec);
  const children = [
    ...Object.values(parts.props ?? {}),
    ...(parts.types ?? []),
    ...(parts.type === undefined ? [] : [parts.type]),
  ];
  return children.every((child) => decodesToItself(child, seen));
};

/**
 * The types whose codec is checked with `is` first: for these `is` builds no error report and no copies, and a value
 * it accepts is exactly what `decode` would return (a replay of a million events decodes each one). A value it refuses
 * still goes through `decode`, for the error. A codec with a transforming or custom part is always decoded.
 */
const CHECKED_FIRST = new Set([...CODEC_BY_TYPE].filter(([, codec]) => decodesToItself(codec)).map(([type]) => type));

/**
 * Why a record could not become an `Envelope`. An unknown type (written by a newer version during a rolling deploy)
 * is told apart from a malformed one: both pause the stream (DESIGN section 2), neither is skipped.
 */
export type DecodeFailure =
  | { readonly kind: 'UnknownEventType'; readonly streamId: string; readonly version: number; readonly type: string }
  | { readonly kind: 'MalformedEvent'; readonly streamId: string; readonly version: number; readonly reason: string };

export const isKnownEventType = (type: string): boolean => KNOWN_TYPES.has(type);

export const decodeRecorded = (recorded: RecordedEvent): E.Either<DecodeFailure, Envelope> => {
  const { streamId, version } = recorded;
  const codec = CODEC_BY_TYPE.get(recorded.type);
  if (codec === undefined) return E.left({ kind: 'UnknownEventType', streamId, version, type: recorded.type });
  const input = { type: recorded.type, data: recorded.data };
  if (CHECKED_FIRST.has(recorded.type) && (codec as t.Mixed).is(input))
    return E.right({ streamId, version, event: input as DomainEvent, metadata: recorded.metadata });

  return pipe(
    codec.decode(input),
    E.bimap(
      (errors): DecodeFailure => ({
        kind: 'MalformedEvent',
        streamId,
        version,
        reason: formatValidationErrors(errors),
      }),
      (event): Envelope => ({ streamId, version, event, metadata: recorded.metadata }),
    ),
  );
};
