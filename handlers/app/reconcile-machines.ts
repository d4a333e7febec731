import type { Observation } from '../../domain/machine/machine-decide.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import { VANISHED } from '../../domain/process/rules.js';
import type { ReadModels } from '../../projections/read-models.js';

/**
 * After a restart, asks the cloud about every machine the views think is alive: one it no longer knows (the
 * in-process simulation restarts empty; an instance can be terminated while nobody listened) is recorded as ended,
 * `vanished`, so its job is re-dispatched instead of waiting forever. Returns the machines found missing.
 */
const ALIVE = new Set(['launched', 'running', 'stopped']);

export const reconcileMachines = async (
  models: ReadModels,
  compute: ComputePort,
  record: (machineId: string, observation: Observation) => Promise<void>,
): Promise<ReadonlyArray<string>> => {
  const missing: string[] = [];
  for (const [machineId, machine] of models.machines) {
    if (!ALIVE.has(machine.status) || machine.launch === null) continue;
    if ((await compute.findByCommandId(machine.launch.commandId)) !== null) continue;
    await record(machineId, { type: 'MachineTerminated', data: { cloudId: machine.cloudId, reason: VANISHED } });
    missing.push(machineId);
  }

  return missing;
};
