import type { ProcessSettings } from '../../domain/process/process-views.js';
import { ReadModels } from '../../projections/read-models.js';
import type { ViewKind, ViewStore } from '../../projections/view-store.js';
import type { ReadSource } from '../http/api-routes.js';

/**
 * The read API's answers from the view store several replicas share (DynamoDB): each request reads the views it
 * shows, so any replica answers with what every replica has projected. The views are decoded the way the consumers
 * decode them (`ReadModels.load`), never by a second reader of the stored shape.
 */
export const viewStoreSource = (views: ViewStore, settings: ProcessSettings): ReadSource => {
  const listed = async (kind: ViewKind): Promise<ReadModels> => {
    const models = new ReadModels(settings);
    for await (const view of views.list(kind)) models.load([view]);

    return models;
  };

  return {
    jobs: async () => [...(await listed('job')).jobs.values()],
    job: async (jobId) => {
      const models = new ReadModels(settings);
      models.load(await views.get('job', [jobId]));

      return models.job(jobId);
    },
    machines: async () => [...(await listed('machine')).machines.entries()],
    pools: async () => [...(await listed('pool')).pools.values()],
  };
};
