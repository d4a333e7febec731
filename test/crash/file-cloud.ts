import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import type { ComputePort, LaunchedMachine } from '../../domain/ports/compute.js';

/**
 * The "cloud" of the crash test: it outlives the processes that call it. Machines live in a JSON file (so
 * `findByCommandId` answers across restarts, like an EC2 tag lookup), and every launch appends one fsync'd line
 * `{commandId, cloudId}` to a launch log, the ground truth the test counts launches from. All I/O is synchronous:
 * a launch that returned is on disk, whatever kills the process next.
 */
export interface FileCloudOptions {
  readonly statePath: string;
  readonly launchLogPath: string;
  /** False: the lookup always answers "not found", as an executor that skipped the commandId check would see. */
  readonly lookup: boolean;
  /** Launches fail (capacity) for commandIds this picks: deterministic, so a retry after a crash fails alike. */
  readonly failsFor: (commandId: string) => boolean;
}

interface CloudState {
  readonly machines: Record<string, LaunchedMachine & { readonly terminated: boolean; readonly stopped?: boolean }>;
  readonly launches: number;
}

export interface LaunchLogLine {
  readonly commandId: string;
  readonly cloudId: string;
}

const readState = (path: string): CloudState =>
  existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as CloudState) : { machines: {}, launches: 0 };

const writeDurably = (path: string, text: string, flags: 'a' | 'w'): void => {
  const fd = openSync(path, flags);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/** Replace-by-rename, so a kill mid-write leaves the old state whole. */
const saveState = (path: string, state: CloudState): void => {
  writeDurably(`${path}.tmp`, JSON.stringify(state), 'w');
  renameSync(`${path}.tmp`, path);
};

export const readLaunchLog = (path: string): ReadonlyArray<LaunchLogLine> =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as LaunchLogLine)
    : [];

export const seededFailure =
  (seed: number, oneIn: number) =>
  (commandId: string): boolean =>
    createHash('sha256')
      .update(`${String(seed)}:${commandId}`)
      .digest()
      .readUInt32BE(0) %
      oneIn ===
    0;

export const createFileCloud = (options: FileCloudOptions): ComputePort => {
  let state = readState(options.statePath);
  // Pool members only; idempotent, and a machine that is gone (or was never ours) is skipped.
  const power = (machineIds: ReadonlyArray<string>, stopped: boolean): void => {
    const machines = { ...state.machines };
    for (const id of machineIds) {
      const machine = machines[id];
      if (machine !== undefined && !machine.terminated) machines[id] = { ...machine, stopped };
    }
    state = { ...state, machines };
    saveState(options.statePath, state);
  };
  return {
    findByCommandId: async (commandId) => {
      const found = options.lookup ? state.machines[commandId] : undefined;
      if (found === undefined) return null;
      const { terminated: _terminated, ...machine } = found;
      return machine;
    },
    launch: async (command) => {
      const { request } = command.data;
      if (options.failsFor(command.commandId)) {
        return E.left({ errorClass: 'capacity', message: 'InsufficientInstanceCapacity', typesTried: [] });
      }
      const cloudId = `i-${String(state.launches + 1).padStart(8, '0')}`;
      const machine: LaunchedMachine = {
        cloudId,
        instanceType: request.instanceTypes[0] ?? null,
        capacity: request.capacity,
        zone: 'zone-a',
        pricePerHour: null,
      };
      // The log first: a machine the cloud created is counted even if the state file never catches up.
      writeDurably(options.launchLogPath, `${JSON.stringify({ commandId: command.commandId, cloudId })}\n`, 'a');
      state = {
        launches: state.launches + 1,
        machines: { ...state.machines, [command.commandId]: { ...machine, terminated: false } },
      };
      saveState(options.statePath, state);
      return E.right(machine);
    },
    terminate: async (machineIds) => {
      const machines = { ...state.machines };
      for (const id of machineIds) {
        const machine = machines[id];
        if (machine !== undefined) machines[id] = { ...machine, terminated: true };
      }
      state = { ...state, machines };
      saveState(options.statePath, state);
    },
    start: async (machineIds) => power(machineIds, false),
    stop: async (machineIds) => power(machineIds, true),
    // The file records no launch times: housekeeping then measures grace from our own records alone.
    listManaged: async () =>
      Object.entries(state.machines).flatMap(([machineId, machine]) =>
        machine.terminated
          ? []
          : [
              {
                machineId,
                cloudId: machine.cloudId,
                state: machine.stopped === true ? ('stopped' as const) : ('running' as const),
                launchedAt: null,
              },
            ],
      ),
  };
};
