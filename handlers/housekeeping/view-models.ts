import type { ProcessSettings } from '../../domain/process/process-views.js';
import { ReadModels } from '../../projections/read-models.js';
import type { ViewStore } from '../../projections/view-store.js';

/**
 * The read models as the view table holds them now (DynamoDB, shared by replicas): every view, ended ones included,
 * since an instance the cloud still runs may belong to a machine our records say has ended. Decoded the way the
 * consumers decode them (`ReadModels.load`).
 */
const KINDS = ['job', 'machine', 'pool', 'runner-use', 'breaker'] as const;

export const loadViewModels = async (views: ViewStore, settings: ProcessSettings): Promise<ReadModels> => {
  const models = new ReadModels(settings);
  for (const kind of KINDS) for await (const view of views.list(kind)) models.load([view]);

  return models;
};
