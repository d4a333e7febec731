import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../adapters/bus-inprocess/index.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { createPipeline } from '../../handlers/app/pipeline.js';
import { ReadModels } from '../../projections/read-models.js';
import { createWorld } from '../world/world.js';

/** DESIGN section 2: a record this version cannot read pauses its stream, visibly, and never blocks the others. */
describe('quarantine', () => {
  it('pauses a stream at an unknown event type, keeps it paused past later events, and lets other streams go on', async () => {
    const world = createWorld();
    await world.queued({ jobId: '1', labels: ['runs-fleet/cpu=2'] });
    await world.queued({ jobId: '2', labels: ['runs-fleet/cpu=2'] });
    const at = world.clock.now();
    // Written by a newer version during a rolling deploy, then an event this version knows.
    await world.store.append('job#1', [{ type: 'JobHeldForApproval', data: { by: 'someone' }, metadata: { at } }], 2);
    // The deciders refuse to decide on a stream they cannot read (the webhook answers 5xx and GitHub redelivers), so
    // the newer version's next event is appended as it would have written it.
    const started = {
      jobId: '1',
      runId: '9000',
      runAttempt: 1,
      repo: 'acme/widgets',
      runnerName: null,
      runnerId: null,
      startedAt: at,
    };
    await world.store.append('job#1', [{ type: 'JobStarted', data: started, metadata: { at } }], 3);
    await expect(world.started({ jobId: '1', labels: [] }, null)).rejects.toThrow('cannot read');

    const models = new ReadModels({ defaultBackend: 'ec2' });
    const quarantined: RecordedEvent[] = [];
    const pipeline = createPipeline(world.store, models, createInProcessBus({}), {
      onQuarantine: (_failure, raw) => void quarantined.push(raw),
    });
    for (const recorded of await world.store.readAfter(0, 100)) await pipeline.handle(recorded);

    expect(models.quarantined.get('job#1')).toMatchObject({
      version: 3,
      reason: 'unknown event type JobHeldForApproval',
    });
    expect(models.job('1')?.version).toBe(2);
    expect(models.job('1')?.status).toBe('provisioning');
    expect(models.job('2')?.status).toBe('provisioning');
    expect(quarantined.map((r) => r.type)).toEqual(['JobHeldForApproval']);
  });

  it('quarantines a malformed record of a known type with a reason that names the field', async () => {
    const world = createWorld();
    await world.store.append(
      'job#9',
      [{ type: 'RunnerRequested', data: { attempt: 'one' }, metadata: { at: world.clock.now() } }],
      0,
    );
    const models = new ReadModels({ defaultBackend: 'ec2' });
    const pipeline = createPipeline(world.store, models, createInProcessBus({}));
    for (const recorded of await world.store.readAfter(0, 10)) await pipeline.handle(recorded);

    expect(models.quarantined.get('job#9')?.reason).toContain('attempt');
  });
});
