import fc from 'fast-check';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { createWorld, type JobInput, type World } from './world.js';

/**
 * Random but realistic histories for property tests: jobs with shared labels, runners taken by siblings, spot
 * interruptions, machines ending early, launch failures and time passing, each step followed by a settle.
 */
const LABELS = ['runs-fleet=1/cpu=4/arch=arm64', 'runs-fleet/cpu=2/spot=false', 'runs-fleet/cpu=abc'];
const JOBS = ['1', '2', '3', '4', '5'];

export type Step =
  | { readonly kind: 'queue'; readonly job: string; readonly label: number }
  | { readonly kind: 'start'; readonly job: string; readonly onMachineOf: string }
  | { readonly kind: 'complete'; readonly job: string; readonly conclusion: string }
  | { readonly kind: 'interrupt' | 'terminate'; readonly job: string }
  | { readonly kind: 'fail-launch'; readonly errorClass: 'capacity' | 'unauthorized' }
  | { readonly kind: 'wait'; readonly minutes: number };

const job = fc.constantFrom(...JOBS);
export const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('queue' as const), job, label: fc.nat({ max: LABELS.length - 1 }) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('start' as const), job, onMachineOf: job }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('complete' as const),
      job,
      conclusion: fc.constantFrom('success', 'failure', 'cancelled'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('interrupt' as const, 'terminate' as const), job }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fail-launch' as const),
      errorClass: fc.constantFrom('capacity' as const, 'unauthorized' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), minutes: fc.integer({ min: 1, max: 20 }) }) },
);

const input = (id: string, label = 0): JobInput => ({ jobId: id, labels: [LABELS[label] ?? LABELS[0] ?? ''] });
const labelOf = new Map<string, number>();

const perform = async (world: World, step: Step): Promise<void> => {
  const machineOf = (id: string) => world.models.job(id)?.machineId ?? null;
  switch (step.kind) {
    case 'queue':
      labelOf.set(step.job, step.label);

      return world.queued(input(step.job, step.label));
    case 'start': {
      const machine = machineOf(step.onMachineOf);

      return world.started(input(step.job, labelOf.get(step.job)), machine === null ? null : runnerNameFor(machine));
    }
    case 'complete':
      return world.completed(input(step.job, labelOf.get(step.job)), step.conclusion, null);
    case 'interrupt':
    case 'terminate': {
      const machine = machineOf(step.job);
      if (machine === null) return;
      const cloudId = world.models.machine(machine)?.cloudId ?? 'i-unknown';

      return world.observe(
        machine,
        step.kind === 'interrupt'
          ? { type: 'SpotInterruptionWarned', data: { cloudId, kind: 'spot-interruption' } }
          : { type: 'MachineTerminated', data: { cloudId, reason: 'runner-exited' } },
      );
    }
    case 'fail-launch':
      return world.compute.failNext({ errorClass: step.errorClass, message: step.errorClass, typesTried: [] });
    case 'wait':
      return world.clock.advance(step.minutes * 60_000);
  }
};

export const runWorkload = async (steps: ReadonlyArray<Step>, world: World = createWorld()): Promise<World> => {
  for (const step of steps) {
    await perform(world, step);
    await world.settle();
  }

  return world;
};

export const allEvents = async (world: World): Promise<ReadonlyArray<RecordedEvent>> =>
  world.store.readAfter(0, 1_000_000);
