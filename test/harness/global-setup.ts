/**
 * The one vitest globalSetup (DESIGN section 5): starts the real parts suites run against (emulators on free loopback
 * ports), once per run, and stops them when the run ends. Emulator harnesses register in `harnesses`, one line each:
 * a function that starts its part, hands its address to the tests with `project.provide(...)`, and returns a teardown.
 */
import type { TestProject } from 'vitest/node';
import { setupDynamoDbLocal } from './dynamodb-local.js';

export type Teardown = () => Promise<void> | void;
export type Harness = (project: TestProject) => Promise<Teardown>;

const harnesses: ReadonlyArray<Harness> = [
  setupDynamoDbLocal, // inject('dynamodbEndpoint')
];

/** Starts every harness in order; stops the ones already started, newest first, if a later one fails. */
export default async function setup(project: TestProject): Promise<Teardown> {
  const teardowns: Teardown[] = [];
  const teardown = async (): Promise<void> => {
    for (const stop of teardowns.splice(0).reverse()) await stop();
  };
  try {
    for (const start of harnesses) teardowns.push(await start(project));
  } catch (error) {
    await teardown();
    throw error;
  }

  return teardown;
}
