import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { Command } from '../../domain/commands/commands.js';
import { DomainEvent } from '../../domain/events/domain-event.js';
import type * as t from 'io-ts';
import { arbitraryFor } from '../world/arbitrary-from-codec.js';

/** DESIGN section 3 and STYLE item 3: every event and command survives encode → JSON → decode unchanged. */
const roundTrips = (codec: t.Mixed, value: unknown) => {
  const decoded: E.Either<t.Errors, unknown> = codec.decode(JSON.parse(JSON.stringify(codec.encode(value))));
  expect(E.isRight(decoded) && decoded.right).toEqual(value);
};

const members: ReadonlyArray<t.Mixed> = DomainEvent.types.flatMap((union): ReadonlyArray<t.Mixed> => union.types);

describe('codecs', () => {
  for (const member of members) {
    it(`round-trips ${member.name}`, () => {
      fc.assert(
        fc.property(arbitraryFor(member), (event) => roundTrips(DomainEvent, event)),
        { numRuns: 25 },
      );
    });
  }

  for (const member of Command.types) {
    it(`round-trips ${member.name}`, () => {
      fc.assert(
        fc.property(arbitraryFor(member), (command) => roundTrips(Command, command)),
        { numRuns: 25 },
      );
    });
  }

  it('rejects an event whose data does not match its type, naming the field', () => {
    const decoded = DomainEvent.decode({ type: 'RunnerRequested', data: { attempt: 'one', capacity: 'spot' } });
    expect(E.isLeft(decoded)).toBe(true);
  });
});
