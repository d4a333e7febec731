import type { ProcessSettings } from '../../domain/process/process-views.js';
import { ReadModels } from '../../projections/read-models.js';
import type { ViewKind, ViewStore } from '../../projections/view-store.js';
import type { ReadSource } from '../http/api-routes.js';
import type { PoolSource } from '../pools/reconciler.js';

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

/**
 * The pool reconciler's reads from the shared view store: a pass reads the members it decides on by id, never the
 * whole machine partition, and lists the job views only when a decision needs demand (`reconcilePools`).
 */
export const viewStorePoolSource = (views: ViewStore, settings: ProcessSettings): PoolSource => {
  const read = viewStoreSource(views, settings);

  return {
    pools: () => read.pools(),
    jobs: () => read.jobs(),
    machines: async (ids) => {
      const models = new ReadModels(settings);
      if (ids.length > 0) models.load(await views.get('machine', ids));

      return models.machines;
    },
  };
};
