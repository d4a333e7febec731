import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeRecorded, DomainEvent } from '../../domain/events/domain-event.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { recordHistory, recordRunnerTaken } from './history.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every value reachable from `value`, each replaced in turn (null, a number, a string, an object, removed). */
function* mutations(value: Json): Generator<Json | undefined> {
  yield null;
  yield 42;
  yield 'zz';
  yield {};
  yield undefined;
  if (Array.isArray(value))
    for (let i = 0; i < value.length; i += 1)
      for (const changed of mutations(value[i] as Json))
        yield changed === undefined ? value.filter((_, j) => j !== i) : value.map((v, j) => (j === i ? changed : v));
  else if (typeof value === 'object' && value !== null) {
    yield { ...value, extra: 1 };
    for (const key of Object.keys(value))
      for (const changed of mutations(value[key] as Json)) {
        const { [key]: _removed, ...rest } = value;
        yield changed === undefined ? rest : { ...value, [key]: changed };
      }
  }
}

describe('decoding a recorded event', () => {
  it('accepts, refuses and returns exactly what the io-ts codec does, for every event and every change to its data', async () => {
    const events: RecordedEvent[] = [...(await recordHistory()), ...(await recordRunnerTaken())];
    let refused = 0;
    let checked = 0;
    for (const recorded of events)
      for (const data of mutations(recorded.data as Json)) {
        const changed = { ...recorded, data };
        const expected = DomainEvent.decode({ type: recorded.type, data });
        const actual = decodeRecorded(changed);
        expect(E.isRight(actual)).toBe(E.isRight(expected));
        if (E.isRight(actual) && E.isRight(expected)) expect(actual.right.event).toStrictEqual(expected.right);
        if (E.isLeft(actual)) {
          refused += 1;
          expect(actual.left.kind).toBe('MalformedEvent');
        }
        checked += 1;
      }
    // Most single changes break a codec; some (an extra key, a nullable field set to null) do not.
    expect(refused).toBeGreaterThan(checked / 2);
    expect(refused).toBeLessThan(checked);
  });
});
