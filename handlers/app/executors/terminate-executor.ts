import type { TerminateMachines } from '../../../domain/commands/commands.js';
import type { ComputePort } from '../../../domain/ports/compute.js';
import type { RunnerConfigStore } from '../../../domain/ports/runner-config-store.js';
import { machineStreamId } from '../../../domain/shared/ids.js';
import type { EventStore } from '../../../domain/store/event-store.js';
import { decideAndAppend } from '../decide-and-append.js';
import { machineDecider } from '../deciders.js';

/**
 * Terminates through the compute port (idempotent there), records `MachineTerminated` once per machine, then deletes
 * the machines' runner configs (DESIGN section 1: a JIT config must not outlive its machine; absent is fine). A crash
 * before the deletion leaves the command to be carried out again, which repeats nothing but the deletion.
 */
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
  configs?: RunnerConfigStore,
): Promise<void> => {
  await compute.terminate(command.data.machineIds, command.data.reason);
  for (const machineId of command.data.machineIds) {
    const metadata = { at: at(), commandId: command.commandId, causationId: command.commandId };
    await decideAndAppend(store, terminatedDecider, machineStreamId(machineId), command, metadata);
  }
  if (configs !== undefined) for (const machineId of command.data.machineIds) await configs.delete(machineId);
};
