import { describe, expect, it } from 'vitest';
import { createMemoryViewStore } from '../../adapters/views-memory/memory-view-store.js';
import { ReadModels } from '../../projections/read-models.js';
import { createWorld } from '../../test/world/world.js';
import { createPipeline } from '../app/pipeline.js';
import { readModelsSource } from '../http/api-routes.js';
import { regionOfQueueUrl } from './bus-composition.js';
import { serveTables } from './dynamodb-tables.js';
import { viewStoreSource } from './view-store-source.js';

const settings = { defaultBackend: 'ec2' } as const;

describe('the read API sources', () => {
  it('answers from the view store exactly what the in-memory read models answer', async () => {
    const world = createWorld();
    await world.queued({ jobId: '1', labels: ['runs-fleet/cpu=4/arch=arm64'] });
    await world.queued({ jobId: '2', labels: ['runs-fleet/cpu=2/spot=false'] });
    await world.settle();
    await world.completed({ jobId: '1', labels: ['runs-fleet/cpu=4/arch=arm64'] }, 'success');
    await world.settle();
    // What a consumer persists: every view, written from a fresh copy of the models.
    const copy = new ReadModels(settings);
    const views = createMemoryViewStore();
    const stored = await world.store.readAfter(0, 10_000);
    const pipeline = createPipeline(world.store, copy, { dispatch: async () => undefined });
    for (const event of stored) await pipeline.handle(event);
    await views.put(copy.takeChanges());

    const fromViews = viewStoreSource(views, settings);
    const fromModels = readModelsSource(() => copy);
    expect(await fromViews.jobs()).toEqual(await fromModels.jobs());
    expect((await fromViews.machines()).length).toBeGreaterThan(0);
    expect(await fromViews.machines()).toEqual(await fromModels.machines());
    expect(await fromViews.pools()).toEqual(await fromModels.pools());
    expect(await fromViews.job('1')).toEqual(await fromModels.job('1'));
    expect((await fromViews.job('1'))?.status).toBe('completed');
    expect(await fromViews.job('404')).toBeUndefined();
  });
});

describe('multi-replica names', () => {
  it('derives the views, dead-letter and lease tables from the events table', () => {
    expect(serveTables('runs-fleet-events')).toEqual({
      events: 'runs-fleet-events',
      views: 'runs-fleet-events-views',
      deadLetters: 'runs-fleet-events-dead-letters',
      leases: 'runs-fleet-events-leases',
    });
  });

  it.each([
    ['https://sqs.eu-west-1.amazonaws.com/123456789012/commands.fifo', 'eu-west-1'],
    ['https://us-east-2.queue.amazonaws.com/123456789012/commands.fifo', 'us-east-2'],
    ['http://127.0.0.1:5000/123456789012/commands.fifo', undefined],
  ])('reads the region of %s', (url, region) => {
    expect(regionOfQueueUrl(url)).toBe(region);
  });
});
