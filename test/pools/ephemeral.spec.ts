import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { parseJobLabels } from '../../domain/labels/index.js';
import { ephemeralTargets, labelFromSpec, p90Concurrency } from '../../domain/pool/ephemeral.js';
import { addMinutes } from '../../domain/shared/time.js';
import { createWorld } from '../world/world.js';
import { poolConfig, poolCounts, reconcile, runMinutes, typesOf } from './pool-world.js';

/** Ephemeral pools (SPEC section 4): created by the first job naming them, sized from demand, removed after 4 h. */
const NOW = '2026-11-27T12:00:00.000Z';
const at = (minutes: number) => addMinutes(NOW, minutes);

describe('ephemeral pool sizing', () => {
  it('p90 of per-minute concurrency over the last hour', () => {
    // Three jobs overlapping during the last 10 minutes, one long one through the whole hour.
    const intervals = [
      { from: at(-90), to: null },
      { from: at(-10), to: null },
      { from: at(-10), to: at(-1) },
      { from: at(-5), to: null },
    ];
    expect(p90Concurrency(intervals, NOW)).toBe(3);
    expect(p90Concurrency([], NOW)).toBe(0);
    // A job in flight for more than 2 h is stale and no longer counts.
    expect(p90Concurrency([{ from: at(-121), to: null }], NOW)).toBe(0);
  });

  it('no hot members; stopped = max(1, p90), else 1 within 4 h of the last job, else as configured', () => {
    const config = poolConfig({ ephemeral: true, desiredStopped: 0 });
    expect(ephemeralTargets(config, { p90: 3, lastJobAt: at(-5) }, NOW)).toEqual({ running: 0, stopped: 3 });
    expect(ephemeralTargets(config, { p90: 0, lastJobAt: at(-200) }, NOW)).toEqual({ running: 0, stopped: 1 });
    expect(ephemeralTargets(config, { p90: 0, lastJobAt: at(-241) }, NOW)).toEqual({ running: 0, stopped: 0 });
  });

  it('the members label keeps the flexible spec (lesson 13), not the run id or a pinned type', () => {
    const parsed = parseJobLabels(['runs-fleet=123/pool=ci/cpu=4/ram=16/arch=arm64/family=c7g+m7g/disk=50'], []);
    if (E.isLeft(parsed)) throw new Error(parsed.left.message);
    const label = labelFromSpec('ci', parsed.right);
    expect(label).toBe('runs-fleet/pool=ci/cpu=4+8/ram=16/arch=arm64/family=c7g+m7g/disk=50');
    const again = parseJobLabels([label], []);
    expect(E.isRight(again) && again.right.instanceTypes).toEqual(parsed.right.instanceTypes);
  });
});

describe('ephemeral pools in the in-memory world', () => {
  it('the first job naming an unknown pool creates it; later jobs find a stopped member; 4 h idle removes it', async () => {
    const world = createWorld();
    await world.queued({ jobId: '1', labels: ['runs-fleet=5/pool=ci/cpu=2/arch=arm64'] });
    await world.settle();
    // No member yet: the first job cold-starts; the pool is created from its spec.
    expect(world.models.job('1')?.status).toBe('assigned');
    const [created] = await reconcile(world);
    expect(created).toEqual({ pool: 'ci', kind: 'created-ephemeral' });
    expect(world.models.pool('ci')?.config).toMatchObject({
      ephemeral: true,
      desiredRunning: 0,
      desiredStopped: 1,
      label: 'runs-fleet/pool=ci/cpu=2+4/arch=arm64',
    });
    await world.completed({ jobId: '1', labels: [] }, 'success');
    await runMinutes(world, 8);
    expect(poolCounts(world, 'ci')).toEqual({ hot: 0, stopped: 1, booting: 0, claimed: 0 });

    await world.queued({ jobId: '2', labels: ['runs-fleet=6/pool=ci/cpu=2/arch=arm64'] });
    await world.settle();
    const member = world.models.poolClaim('2')?.machineId;
    expect(member).toBeDefined();
    expect(world.models.job('2')?.machineId).toBe(member);
    await world.completed({ jobId: '2', labels: [] }, 'success');
    await runMinutes(world, 8);

    world.clock.advance(4 * 60 * 60_000);
    await runMinutes(world, 6);
    expect(await typesOf(world, 'pool#ci')).toContain('PoolRemoved');
    expect(world.models.pool('ci')?.removed).toBe(true);
    expect(poolCounts(world, 'ci')).toEqual({ hot: 0, stopped: 0, booting: 0, claimed: 0 });
  });
});
