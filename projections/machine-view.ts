import type { Envelope } from '../domain/events/domain-event.js';
import type { MachineEvent } from '../domain/events/machine-events.js';
import { evolveMachine, initialMachineState, type MachineState } from '../domain/machine/machine-state.js';

/** MachineView: the machine's state, when it was requested, launched and ended, and its stream version. */
export interface MachineView extends MachineState {
  readonly version: number;
  readonly requestedAt: string | null;
  readonly launchedAt: string | null;
  readonly endedAt: string | null;
  readonly pool: string | null;
  /** When the status (or a claim or fence) last changed: the pool reconciler's dwell and idle clocks. */
  readonly statusSince: string | null;
  /** When it was last launched or started: the pool reconciler's boot grace. */
  readonly bootedAt: string | null;
}

export const initialMachineView: MachineView = {
  ...initialMachineState,
  version: 0,
  requestedAt: null,
  launchedAt: null,
  endedAt: null,
  pool: null,
  statusSince: null,
  bootedAt: null,
};

const changed = (before: MachineState, after: MachineState): boolean =>
  before.status !== after.status ||
  before.claimedVersion !== after.claimedVersion ||
  before.retiring !== after.retiring;

export const evolveMachineView = (view: MachineView, envelope: Envelope<MachineEvent>): MachineView => {
  const { event, metadata } = envelope;
  const next = evolveMachine(view, event, envelope.version);
  const ended = event.type === 'MachineTerminated' || event.type === 'MachineLaunchFailed';

  return {
    ...view,
    ...next,
    version: envelope.version,
    requestedAt: event.type === 'MachineRequested' ? metadata.at : view.requestedAt,
    launchedAt: event.type === 'MachineLaunched' ? metadata.at : view.launchedAt,
    endedAt: ended && view.endedAt === null ? metadata.at : view.endedAt,
    pool: event.type === 'MachineRequested' ? event.data.command.data.request.pool : view.pool,
    statusSince: changed(view, next) ? metadata.at : (view.statusSince ?? null),
    bootedAt:
      event.type === 'MachineLaunched' || event.type === 'MachineStarted' ? metadata.at : (view.bootedAt ?? null),
  };
};
