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
}

export const initialMachineView: MachineView = {
  ...initialMachineState,
  version: 0,
  requestedAt: null,
  launchedAt: null,
  endedAt: null,
  pool: null,
};

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
  };
};
