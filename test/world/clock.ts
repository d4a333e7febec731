/** A manual clock for tests: time moves only when the test says so. */
export interface TestClock {
  now(): string;
  advance(ms: number): void;
}

export const createTestClock = (start = '2026-11-27T12:00:00.000Z'): TestClock => {
  let ms = new Date(start).getTime();

  return {
    now: () => new Date(ms).toISOString(),
    advance: (delta) => {
      ms += delta;
    },
  };
};
