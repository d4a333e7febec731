import type { TerminateMachines } from '../../../domain/commands/commands.js';
import type { ComputePort } from '../../../domain/ports/compute.js';
import { machineStreamId } from '../../../domain/shared/ids.js';
import type { EventStore } from '../../../domain/store/event-store.js';
import { decideAndAppend } from '../decide-and-append.js';
import { machineDecider } from '../deciders.js';

/** Terminates through the compute port (idempotent there) and records `MachineTerminated` once per machine. */
const terminatedDecider = machineDecider<TerminateMachines>((command, state) =>
  state.status === 'terminated'
    ? []
    : [{ type: 'MachineTerminated', data: { cloudId: state.cloudId, reason: command.data.reason, command } }],
);

export const executeTerminate = async (
  store: EventStore,
  compute: ComputePort,
  command: TerminateMachines,
  at: () => string,
): Promise<void> => {
  await compute.terminate(command.data.machineIds, command.data.reason);
  for (const machineId of command.data.machineIds) {
    const metadata = { at: at(), commandId: command.commandId, causationId: command.commandId };
    await decideAndAppend(store, terminatedDecider, machineStreamId(machineId), command, metadata);
  }
};
