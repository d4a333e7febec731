import type { MachineView } from '../../projections/machine-view.js';
import type { ReadModels } from '../../projections/read-models.js';
import type { PoolSource } from './reconciler.js';

/** The embedded service's live read models. */
export const readModelsPoolSource = (models: () => ReadModels): PoolSource => ({
  pools: async () => [...models().pools.values()],
  jobs: async () => [...models().jobs.values()],
  machines: async (ids) =>
    new Map(
      ids.flatMap((id): Array<[string, MachineView]> => {
        const view = models().machine(id);

        return view === undefined ? [] : [[id, view]];
      }),
    ),
});
