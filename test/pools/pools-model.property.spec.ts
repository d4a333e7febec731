import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { poolTargets } from '../../domain/pool/targets.js';
import { resume } from '../../domain/process/resume.js';
import { poolStreamId } from '../../domain/shared/ids.js';
import { createPoolModel, type PoolModel } from './model-harness.js';
import { poolConfig } from './pool-world.js';

/**
 * Issue 5 acceptance 4: random jobs (pool and cold), reconciles, crashes between deciding and doing, spot
 * interruptions, members the cloud loses and starts it refuses; then quiescence. After it: no orphan machine, the
 * pool's targets met, every job served or visibly failed, no job served by two machines, nothing pending.
 */
type Step =
  | { readonly kind: 'queue'; readonly pool: boolean; readonly count: number }
  | { readonly kind: 'run' | 'boot' | 'fail-start' }
  | { readonly kind: 'tick'; readonly minutes: number }
  | { readonly kind: 'interrupt' | 'vanish'; readonly pick: number }
  | { readonly kind: 'configure'; readonly hot: number; readonly stopped: number }
  | { readonly kind: 'crash'; readonly during: Step };

const simple: fc.Arbitrary<Step> = fc.oneof(
  // Several jobs queued before anything settles: concurrent claims on the same idle member.
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('queue' as const),
      pool: fc.boolean(),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('run' as const, 'boot' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail-start' as const) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('tick' as const), minutes: fc.integer({ min: 1, max: 6 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constantFrom('interrupt' as const, 'vanish' as const), pick: fc.nat(20) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('configure' as const),
      hot: fc.integer({ min: 0, max: 2 }),
      stopped: fc.integer({ min: 0, max: 3 }),
    }),
  },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 9, arbitrary: simple },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), during: simple }) },
);

interface Run {
  readonly model: PoolModel;
  /** Which machines ran each job (the agent's side: what actually happened on the "cloud"). */
  readonly ran: Map<string, Set<string>>;
  jobs: number;
}

const POOL_LABEL = (id: string) => `runs-fleet=${id}/pool=default`;
const COLD_LABEL = (id: string) => `runs-fleet=${id}/cpu=2/arch=arm64`;

const boot = async ({ model }: Run) => {
  for (const [id, m] of model.models().machines)
    if (m.status === 'launched')
      await model.observe(id, { type: 'MachineRunning', data: { cloudId: m.cloudId ?? '' } });
};

/** Runners take their own job (labels are unique per job here), run it and the agent terminates the machine. */
const runJobs = async (run: Run) => {
  const { model } = run;
  for (const [jobId, job] of [...model.models().jobs]) {
    const machine = job.machineId === null ? undefined : model.models().machine(job.machineId);
    if (job.status !== 'assigned' || machine === undefined || job.machineId === null) continue;
    if (machine.status !== 'running' || !machine.configPrepared) continue;
    const runner = runnerNameFor(job.machineId);
    run.ran.set(jobId, new Set([...(run.ran.get(jobId) ?? []), job.machineId]));
    await model.started(jobId, runner);
    await model.completed(jobId, 'success', runner);
    await model.compute.terminate([job.machineId], 'job-finished');
    await model.observe(job.machineId, {
      type: 'MachineTerminated',
      data: { cloudId: machine.cloudId, reason: 'job-finished' },
    });
  }
};

const liveOf = (model: PoolModel, filter: (pool: string | null, capacity: string | null) => boolean) =>
  [...model.models().machines]
    .filter(([id, m]) => model.compute.live.has(id) && filter(m.pool, m.capacity))
    .map(([id, m]) => ({ id, cloudId: m.cloudId }));

const perform = async (run: Run, s: Step): Promise<void> => {
  const { model } = run;
  switch (s.kind) {
    case 'queue':
      for (let i = 0; i < s.count; i += 1) {
        run.jobs += 1;
        const id = String(1000 + run.jobs);
        await model.queued(id, s.pool ? POOL_LABEL(id) : COLD_LABEL(id));
      }

      return;
    case 'run':
      return runJobs(run);
    case 'boot':
      return boot(run);
    case 'fail-start':
      model.compute.failStarts += 1;

      return;
    case 'tick':
      model.clock.advance(s.minutes * 60_000);

      return model.reconcile();
    case 'interrupt': {
      const spot = liveOf(model, (_pool, capacity) => capacity === 'spot');
      const target = spot[s.pick % Math.max(1, spot.length)];
      if (target === undefined) return;
      await model.observe(target.id, {
        type: 'SpotInterruptionWarned',
        data: { cloudId: target.cloudId ?? '', kind: 'spot-interruption' },
      });
      await model.compute.terminate([target.id], 'spot-interruption');

      return model.observe(target.id, {
        type: 'MachineTerminated',
        data: { cloudId: target.cloudId, reason: 'spot-interruption' },
      });
    }
    case 'vanish': {
      const members = liveOf(model, (pool) => pool === 'default');
      const target = members[s.pick % Math.max(1, members.length)];
      if (target === undefined) return;
      await model.compute.terminate([target.id], 'lost');

      return model.observe(target.id, { type: 'MachineTerminated', data: { cloudId: target.cloudId, reason: 'lost' } });
    }
    case 'configure': {
      const version = (await model.store.read(poolStreamId('default'))).length;
      const config = poolConfig({ desiredRunning: s.hot, desiredStopped: s.stopped });
      await model.store.append(
        poolStreamId('default'),
        [{ type: 'PoolConfigured', data: config, metadata: { at: model.clock.now() } }],
        version,
      );

      return;
    }
    case 'crash':
      await model.crashDuring(() => perform(run, s.during));

      return model.restart();
  }
};

const quiesce = async (run: Run) => {
  const { model } = run;
  model.compute.failStarts = 0;
  await model.restart();
  for (let minute = 0; minute < 45; minute += 1) {
    await model.reconcile();
    await model.settle();
    await boot(run);
    await model.settle();
    await runJobs(run);
    await model.settle();
    model.clock.advance(60_000);
  }
};

describe('warm pools: model-based (reconcile + job flow, crashes, interruptions)', () => {
  it('after quiescence: no orphan, targets met, every job served or visibly failed, none served twice', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(step, { minLength: 5, maxLength: 30 }),
        async (hot, stopped, steps) => {
          const run: Run = { model: createPoolModel(), ran: new Map(), jobs: 0 };
          const { model } = run;
          await perform(run, { kind: 'configure', hot, stopped });
          await model.settle();
          for (const s of steps) {
            await perform(run, s);
            await model.settle();
          }
          await quiesce(run);
          const models = model.models();

          // Every job served or visibly failed.
          for (const [jobId, job] of models.jobs) {
            expect([jobId, job.status]).toEqual([jobId, expect.stringMatching(/^(completed|failed)$/)]);
            if (job.status === 'failed') expect(job.failure?.message).toBeTruthy();
          }
          // No job served by two machines; no command launched twice.
          for (const [jobId, machines] of run.ran) expect([jobId, machines.size]).toEqual([jobId, 1]);
          const servedBy = [...run.ran.values()].flatMap((machines) => [...machines]);
          expect(new Set(servedBy).size).toBe(servedBy.length);
          for (const [id, launches] of model.compute.launches) expect([id, launches]).toEqual([id, 1]);
          // No orphan: what the cloud still runs is exactly the pool's idle members, and the targets are met.
          const pool = models.pool('default');
          const targets = poolTargets(pool?.config ?? null, pool?.removed ?? false, model.clock.now());
          const live = [...model.compute.live.keys()].sort();
          const idle = [...models.machines]
            .filter(
              ([, m]) => m.pool === 'default' && m.jobId === null && (m.status === 'running' || m.status === 'stopped'),
            )
            .map(([id]) => id)
            .sort();
          expect(live).toEqual(idle);
          const hotNow = idle.filter((id) => models.machine(id)?.status === 'running').length;
          expect({ hot: hotNow, stopped: idle.length - hotNow }).toEqual({
            hot: targets.running,
            stopped: targets.stopped,
          });
          expect(resume(models, models, model.clock.now())).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });
});
