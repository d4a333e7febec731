import * as E from 'fp-ts/lib/Either.js';
import { expect } from 'vitest';

/**
 * Given/when/then for deciders (emmett's DeciderSpecification, equinox's scenario): fold the given events, decide the
 * command, and compare the outcome. Understands `Either`: `then` expects a right, `thenRejected` a left.
 */
export interface DeciderSpec<S, C, Ev, R> {
  readonly initial: S;
  readonly evolve: (state: S, event: Ev, version: number) => S;
  readonly decide: (command: C, state: S) => E.Either<R, ReadonlyArray<Ev>>;
}

export interface Scenario<C, Ev, R> {
  when(command: C): {
    then(expected: ReadonlyArray<Ev>): void;
    thenNothingHappened(): void;
    thenRejected(check?: (rejection: R) => boolean): void;
    thenMatches(check: (events: ReadonlyArray<Ev>) => void): void;
  };
}

export const scenario =
  <S, C, Ev, R>(spec: DeciderSpec<S, C, Ev, R>) =>
  (given: ReadonlyArray<Ev>): Scenario<C, Ev, R> => ({
    when: (command) => {
      const state = given.reduce((s, event, index) => spec.evolve(s, event, index + 1), spec.initial);
      const outcome = spec.decide(command, state);
      const right = (): ReadonlyArray<Ev> => {
        if (E.isLeft(outcome)) throw new Error(`expected events, got rejection ${JSON.stringify(outcome.left)}`);

        return outcome.right;
      };

      return {
        then: (expected) => expect(right()).toEqual(expected),
        thenNothingHappened: () => expect(right()).toEqual([]),
        thenRejected: (check) => {
          expect(E.isLeft(outcome)).toBe(true);
          if (E.isLeft(outcome) && check !== undefined) expect(check(outcome.left)).toBe(true);
        },
        thenMatches: (check) => check(right()),
      };
    },
  });
