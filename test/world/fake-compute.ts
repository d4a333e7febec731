import * as E from 'fp-ts/lib/Either.js';
import type { ProvisionCommand } from '../../domain/commands/commands.js';
import type { ComputePort, LaunchFailure, LaunchedMachine } from '../../domain/ports/compute.js';

/**
 * A compute port for domain tests: machines exist as map entries keyed by commandId (our machine id), launches are
 * counted per commandId so a test can prove "exactly once", and failures are injected per call.
 */
export interface FakeCompute extends ComputePort {
  readonly launches: Map<string, number>;
  readonly terminated: Set<string>;
  readonly live: Map<string, LaunchedMachine & { readonly command: ProvisionCommand }>;
  /** The next launches fail with these, in order. */
  failNext(...failures: LaunchFailure[]): void;
  /** Test-only fault: pretend the commandId tag lookup finds nothing (an executor that skips the check). */
  skipLookup: boolean;
}

export const createFakeCompute = (): FakeCompute => {
  const launches = new Map<string, number>();
  const live = new Map<string, LaunchedMachine & { readonly command: ProvisionCommand }>();
  const terminated = new Set<string>();
  const failures: LaunchFailure[] = [];
  let counter = 0;

  const compute: FakeCompute = {
    launches,
    live,
    terminated,
    skipLookup: false,
    failNext: (...next) => void failures.push(...next),
    findByCommandId: async (commandId) => {
      const found = compute.skipLookup ? undefined : live.get(commandId);
      if (found === undefined) return null;
      const { command: _command, ...machine } = found;

      return machine;
    },
    launch: async (command) => {
      const failure = failures.shift();
      if (failure !== undefined) return E.left(failure);
      launches.set(command.commandId, (launches.get(command.commandId) ?? 0) + 1);
      counter += 1;
      const { request } = command.data;
      const machine: LaunchedMachine = {
        cloudId: `i-${String(counter).padStart(8, '0')}`,
        instanceType: request.instanceTypes[0] ?? null,
        capacity: request.capacity,
        zone: 'zone-a',
        pricePerHour: null,
      };
      live.set(command.commandId, { ...machine, command });

      return E.right(machine);
    },
    terminate: async (machineIds) => {
      for (const id of machineIds) {
        terminated.add(id);
        live.delete(id);
      }
    },
  };

  return compute;
};
