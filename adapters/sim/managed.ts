import type { ManagedMachine } from '../../domain/ports/compute.js';
import type { SimMachineSnapshot } from './sim-cloud.js';

/**
 * The simulated cloud's answer to `listManaged`: every machine it has not terminated. Every simulated machine is
 * "ours" (the simulation launches nothing else), so the managed-tag filter of the real adapters has nothing to drop.
 */
export const managedMachines = (snapshots: ReadonlyArray<SimMachineSnapshot>): ReadonlyArray<ManagedMachine> =>
  snapshots.flatMap((snapshot): ManagedMachine[] =>
    snapshot.state === 'terminated'
      ? []
      : [
          {
            machineId: snapshot.machineId,
            cloudId: snapshot.cloudId,
            state: snapshot.state,
            launchedAt: snapshot.launchedAt,
          },
        ],
  );
