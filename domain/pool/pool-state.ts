import type { PoolActions, PoolConfigured, PoolEvent } from '../events/pool-events.js';
import { commandIdFor } from '../shared/command-id.js';
import { poolStreamId } from '../shared/ids.js';

/**
 * The state of one pool, folded from its own stream only: configuration, the members it believes alive (as of its
 * last acting reconcile, plus the ones that reconcile launched) and that last decision. Member machine states live in
 * the machine streams; the reconciler reads them beside this.
 */
export type PoolConfig = PoolConfigured['data'];

export interface LastReconcile {
  readonly version: number;
  readonly at: string;
  readonly desired: { readonly running: number; readonly stopped: number };
  readonly actions: PoolActions;
  readonly label: string;
  readonly reasons: ReadonlyArray<string>;
}

export interface PoolState {
  readonly name: string;
  readonly version: number;
  readonly config: PoolConfig | null;
  readonly removed: boolean;
  readonly members: ReadonlyArray<string>;
  readonly lastReconcile: LastReconcile | null;
}

export const initialPoolState = (name: string): PoolState => ({
  name,
  version: 0,
  config: null,
  removed: false,
  members: [],
  lastReconcile: null,
});

/** The intent key of the i-th member a reconcile launches (a count, so the index is the intent, not a list position). */
export const poolLaunchIntent = (index: number): string => `pool-launch-${String(index)}`;

/** The machine id of the i-th member launched by the `PoolReconciled` at `version` of pool `name`. */
export const poolLaunchId = (name: string, version: number, index: number): string =>
  commandIdFor({ streamId: poolStreamId(name), version }, poolLaunchIntent(index));

export const launchedBy = (name: string, reconcile: { version: number; actions: PoolActions }): string[] =>
  Array.from({ length: reconcile.actions.launch }, (_, index) => poolLaunchId(name, reconcile.version, index));

/** `at` is the event's time: a start or launch the last reconcile asked for is "in flight" for a while after it. */
export const evolvePool = (state: PoolState, event: PoolEvent, version: number, at: string): PoolState => {
  switch (event.type) {
    case 'PoolConfigured':
      return { ...state, version, config: event.data, removed: false };
    case 'PoolRemoved':
      return { ...state, version, removed: true };
    case 'PoolReconciled': {
      const { desired, actions, label, reasons } = event.data;
      const lastReconcile = { version, at, desired, actions, label, reasons };
      const observed = event.data.observed.members.map((member) => member.machineId);

      return { ...state, version, members: [...observed, ...launchedBy(state.name, lastReconcile)], lastReconcile };
    }
  }
};
