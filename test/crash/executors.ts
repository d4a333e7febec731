import type { Command } from '../../domain/commands/commands.js';
import type { CommandExecutor } from '../../domain/ports/command-bus.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { buildExecutors } from '../../handlers/serve/executors.js';
import { createFakeGithub, createMemoryRunnerConfigs } from '../world/fake-github.js';

/**
 * The executors the crash child runs: the service's own table (handlers/serve/executors.ts) over the file-backed
 * cloud, with an in-memory GitHub: each child is a fresh process, as a restarted service would be.
 */
export const crashExecutors = (
  store: EventStore,
  compute: ComputePort,
  at: () => string,
): Partial<Record<Command['type'], CommandExecutor>> =>
  buildExecutors({ store, compute, github: createFakeGithub(), configs: createMemoryRunnerConfigs(), at });
