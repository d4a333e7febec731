import type { StartMachines, StopMachines, TerminateMachines } from '../../domain/commands/commands.js';
import type { MachineEvent } from '../../domain/events/machine-events.js';
import type { MachineState } from '../../domain/machine/machine-state.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import type { EventMetadata, EventStore } from '../../domain/store/event-store.js';
import { decideAndAppend } from '../app/decide-and-append.js';
import { machineDecider } from '../app/deciders.js';
import { readMachine } from './read-streams.js';

/**
 * Start, stop and terminate for warm-pool members. Stop and terminate fence the member first (`MachineRetiring`,
 * appended at the version just read): a claim decided on that version then conflicts and misses, and a member a
 * claim got first is skipped, so no member is ever stopped or terminated under a job (SPEC lesson 15). The cloud
 * reports `MachineStopped` / `MachineStarted` through the lifecycle path; a terminate records `MachineTerminated`.
 */
const metadataOf = (commandId: string, at: () => string) => (): EventMetadata => ({
  at: at(),
  commandId,
  causationId: commandId,
});

const claimed = (state: MachineState): boolean => state.claimedVersion > 0 || state.jobId !== null;
const ended = (state: MachineState): boolean => state.status === 'terminated' || state.status === 'failed';

type RetireCommand = StopMachines | TerminateMachines;
const actionOf = (command: RetireCommand): 'stop' | 'terminate' =>
  command.type === 'StopMachines' ? 'stop' : 'terminate';

/** Whether the member may be retired by this command now: never a claimed one, a stop only of a running one. */
const retirable = (command: RetireCommand, state: MachineState): boolean => {
  if (claimed(state) || ended(state)) return false;
  if (state.retiring?.command.commandId === command.commandId) return true;
  if (state.retiring?.action === 'terminate') return false;

  return actionOf(command) === 'terminate' || state.status === 'running';
};

const fenceDecider = machineDecider<RetireCommand>((command, state): MachineEvent[] =>
  retirable(command, state) && state.retiring?.command.commandId !== command.commandId
    ? [{ type: 'MachineRetiring', data: { action: actionOf(command), command } }]
    : [],
);

const terminatedDecider = machineDecider<TerminateMachines>((command, state) =>
  state.status === 'terminated'
    ? []
    : [{ type: 'MachineTerminated', data: { cloudId: state.cloudId, reason: command.data.reason, command } }],
);

/** Fences one member for this command; true when this command holds the fence (now or from an earlier try). */
const fence = async (store: EventStore, command: RetireCommand, machineId: string, at: () => string) => {
  const streamId = machineStreamId(machineId);
  const outcome = await decideAndAppend(store, fenceDecider, streamId, command, metadataOf(command.commandId, at)());
  if (outcome.kind === 'appended') return true;
  const state = await readMachine(store, machineId);

  return state.retiring?.command.commandId === command.commandId && !claimed(state) && !ended(state);
};

export const executePoolRetire = async (
  store: EventStore,
  compute: ComputePort,
  command: RetireCommand,
  at: () => string,
): Promise<ReadonlyArray<string>> => {
  const acted: string[] = [];
  for (const machineId of command.data.machineIds) {
    if (!(await fence(store, command, machineId, at))) continue;
    if (command.type === 'StopMachines') {
      await compute.stop([machineId]);
    } else {
      await compute.terminate([machineId], command.data.reason);
      const streamId = machineStreamId(machineId);
      await decideAndAppend(store, terminatedDecider, streamId, command, metadataOf(command.commandId, at)());
    }
    acted.push(machineId);
  }

  return acted;
};

const startFailedDecider = machineDecider<{ command: StartMachines; message: string }>(({ command, message }, state) =>
  state.startFailed || state.status !== 'stopped' ? [] : [{ type: 'MachineStartFailed', data: { message, command } }],
);

/**
 * Starts stopped members (a pool's start, or a claimed member's). A refusal from the cloud is recorded as
 * `MachineStartFailed`: a job waiting on the member is then requeued to a cold start, and the pool replaces it.
 */
export const executePoolStart = async (
  store: EventStore,
  compute: ComputePort,
  command: StartMachines,
  at: () => string,
): Promise<void> => {
  for (const machineId of command.data.machineIds) {
    const state = await readMachine(store, machineId);
    if (ended(state) || state.status !== 'stopped' || state.startFailed) continue;
    try {
      await compute.start([machineId]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const streamId = machineStreamId(machineId);
      await decideAndAppend(
        store,
        startFailedDecider,
        streamId,
        { command, message },
        metadataOf(command.commandId, at)(),
      );
    }
  }
};

/** A TerminateMachines decided by a pool reconcile (its cause is the pool stream) goes through the fence. */
export const isPoolCommand = (command: { readonly cause: { readonly streamId: string } }): boolean =>
  command.cause.streamId.startsWith('pool#');
