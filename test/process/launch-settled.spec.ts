import { describe, expect, it } from 'vitest';
import { launchCommand } from '../../adapters/ec2/testing.js';
import type { MachineEvent } from '../../domain/events/machine-events.js';
import { evolveMachine, initialMachineState, launchSettled } from '../../domain/machine/machine-state.js';
import { launchRetryRule } from '../../domain/process/rules.js';
import type { ProcessViews } from '../../domain/process/process-views.js';

/**
 * A launch is settled by its recorded outcome, not by the status a lifecycle report set: a running report that lands
 * before `MachineLaunched` must leave the launch pending, so a lease taken over re-derives it and the executor adopts.
 */
const command = launchCommand({ pool: 'default', jobId: null, capacity: 'on-demand' });
const requested: MachineEvent = { type: 'MachineRequested', data: { machineId: command.data.machineId, command } };
const running: MachineEvent = { type: 'MachineRunning', data: { cloudId: 'i-1' } };
const launched: MachineEvent = {
  type: 'MachineLaunched',
  data: {
    cloudId: 'i-1',
    instanceType: 'c8g.large',
    capacity: 'on-demand',
    zone: 'a',
    pricePerHour: null,
    adopted: false,
    command,
  },
};
const terminated: MachineEvent = { type: 'MachineTerminated', data: { cloudId: 'i-1', reason: 'gone', command: null } };

const fold = (...events: MachineEvent[]) =>
  events.reduce((state, event, i) => evolveMachine(state, event, i + 1), initialMachineState);
const noViews = {} as ProcessViews;

describe('launchSettled', () => {
  it.each([
    ['requested', false, [requested]],
    ['requested, then a running report', false, [requested, running]],
    ['requested, running, then the launch recorded', true, [requested, running, launched]],
    ['requested, launched', true, [requested, launched]],
    ['requested, then terminated before any record', true, [requested, terminated]],
  ] as const)('%s: settled %s', (_, settled, events) => {
    const state = fold(...events);
    expect(launchSettled(state)).toBe(settled);
    expect(launchRetryRule(noViews, state, '2026-01-01T00:00:00.000Z')).toEqual(settled ? [] : [command]);
  });
});
