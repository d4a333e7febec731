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
  /** Pool members the port was asked to stop (and not started since), and every start/stop call in order. */
  readonly stopped: Set<string>;
  readonly powerCalls: Array<{ readonly op: 'start' | 'stop'; readonly machineIds: ReadonlyArray<string> }>;
  readonly live: Map<string, LaunchedMachine & { readonly command: ProvisionCommand }>;
  /** The next launches fail with these, in order. */
  failNext(...failures: LaunchFailure[]): void;
  /** Test-only fault: pretend the commandId tag lookup finds nothing (an executor that skips the check). */
  skipLookup: boolean;
  /** Where a cloud would report a completed stop or start (the world records it as a lifecycle observation). */
  onPower: ((op: 'start' | 'stop', machineId: string, cloudId: string) => Promise<void>) | null;
  /** The next start calls throw (a cloud refusing to start an instance). */
  failStarts: number;
  /** The cloud's launch time per machine for `listManaged` (absent: the cloud does not say); tests set it. */
  readonly launchedAt: Map<string, string>;
}

export const createFakeCompute = (): FakeCompute => {
  const launches = new Map<string, number>();
  const live = new Map<string, LaunchedMachine & { readonly command: ProvisionCommand }>();
  const terminated = new Set<string>();
  const stopped = new Set<string>();
  const powerCalls: FakeCompute['powerCalls'] = [];
  const failures: LaunchFailure[] = [];
  let counter = 0;

  const launchedAt = new Map<string, string>();

  const compute: FakeCompute = {
    launches,
    launchedAt,
    live,
    terminated,
    stopped,
    powerCalls,
    skipLookup: false,
    onPower: null,
    failStarts: 0,
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
        stopped.delete(id);
      }
    },
    // Idempotent and managed-only, like the real adapters: ids the fake never launched (or terminated) are skipped.
    start: async (machineIds) => {
      powerCalls.push({ op: 'start', machineIds: [...machineIds] });
      if (compute.failStarts > 0) {
        compute.failStarts -= 1;
        throw new Error('IncorrectInstanceState: the instance cannot be started');
      }
      for (const id of machineIds) {
        const machine = live.get(id);
        if (machine === undefined || !stopped.delete(id)) continue;
        await compute.onPower?.('start', id, machine.cloudId);
      }
    },
    stop: async (machineIds) => {
      powerCalls.push({ op: 'stop', machineIds: [...machineIds] });
      for (const id of machineIds) {
        const machine = live.get(id);
        if (machine === undefined || stopped.has(id)) continue;
        stopped.add(id);
        await compute.onPower?.('stop', id, machine.cloudId);
      }
    },
    listManaged: async () =>
      [...live.entries()].map(([machineId, machine]) => ({
        machineId,
        cloudId: machine.cloudId,
        state: stopped.has(machineId) ? ('stopped' as const) : ('running' as const),
        launchedAt: launchedAt.get(machineId) ?? null,
      })),
  };

  return compute;
};
