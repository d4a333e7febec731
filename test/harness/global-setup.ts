/**
 * The one vitest globalSetup (DESIGN section 5): makes the real parts suites run against available (emulators on free
 * loopback ports, each started when the first test file asks for it: see emulator-process.ts), once per run, and stops
 * them when the run ends. Emulator harnesses register in `harnesses`, one line each:
 * a function that starts its part, hands its address to the tests with `project.provide(...)`, and returns a teardown.
 */
import type { TestProject } from 'vitest/node';
import { setupDynamoDbLocal } from './dynamodb-local.js';
import { setupKubeApiserver } from './kube-apiserver.js';
import { setupMoto } from './moto.js';

export type Teardown = () => Promise<void> | void;
export type Harness = (project: TestProject) => Promise<Teardown>;

const harnesses: ReadonlyArray<Harness> = [
  setupDynamoDbLocal, // inject('dynamodbLocalControl'): test files use dynamodb-local-client.ts
  setupMoto, // inject('motoControl'): test files use moto-client.ts
  setupKubeApiserver, // inject('kubeControl', 'kubeHarnessDir'): test files use kube-apiserver-client.ts
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
