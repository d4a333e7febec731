import type { ProvisionCommand } from '../commands/commands.js';
import type { MachineEvent } from '../events/machine-events.js';
import { launchSettled, type MachineState } from './machine-state.js';

/**
 * Claiming a launch (DESIGN section 3, step 1): the first `MachineRequested` wins the machine; after a crash a later
 * worker re-claims with `MachineLaunchRetried` at the version it read, so again only one proceeds. A settled launch
 * needs nothing.
 */
export type LaunchClaim =
  { readonly kind: 'claim'; readonly events: ReadonlyArray<MachineEvent> } | { readonly kind: 'settled' };

export const claimLaunch = (command: ProvisionCommand, state: MachineState): LaunchClaim => {
  if (state.status === 'unknown') {
    return {
      kind: 'claim',
      events: [{ type: 'MachineRequested', data: { machineId: command.data.machineId, command } }],
    };
  }
  if (launchSettled(state) || state.launch === null) return { kind: 'settled' };

  // Retry with the request exactly as frozen in the first claim, never the re-derived one.
  return { kind: 'claim', events: [{ type: 'MachineLaunchRetried', data: { command: state.launch } }] };
};

/** Lifecycle reports arrive more than once (EventBridge, watches, the agent): only news is recorded. */
export type Observation =
  | { readonly type: 'MachineRunning'; readonly data: { readonly cloudId: string } }
  | { readonly type: 'MachineStopped'; readonly data: { readonly cloudId: string } }
  | { readonly type: 'MachineStarted'; readonly data: { readonly cloudId: string } }
  | {
      readonly type: 'RunnerRegistered';
      readonly data: { readonly runnerName: string; readonly runnerId: number | null };
    }
  | {
      readonly type: 'SpotInterruptionWarned';
      readonly data: { readonly cloudId: string; readonly kind: 'spot-interruption' | 'node-disruption' };
    }
  | {
      readonly type: 'MachineUnschedulable';
      readonly data: { readonly cloudId: string; readonly message: string; readonly since: string };
    }
  | { readonly type: 'MachineTerminated'; readonly data: { readonly cloudId: string | null; readonly reason: string } };

export const observeMachine = (observation: Observation, state: MachineState): ReadonlyArray<MachineEvent> => {
  if (state.status === 'terminated') return [];
  switch (observation.type) {
    case 'MachineRunning':
    case 'MachineStarted':
      return state.status === 'running' ? [] : [observation];
    case 'MachineStopped':
      return state.status === 'stopped' ? [] : [observation];
    case 'RunnerRegistered':
      return state.runnerRegistered ? [] : [observation];
    case 'SpotInterruptionWarned':
      return state.interrupted ? [] : [observation];
    case 'MachineUnschedulable':
      return state.unschedulable !== null || state.status === 'running' ? [] : [observation];
    case 'MachineTerminated':
      return [{ type: 'MachineTerminated', data: { ...observation.data, command: null } }];
  }
};
