import { observeMachine, type Observation } from '../../domain/machine/machine-decide.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { decideAndAppend } from '../app/decide-and-append.js';
import { machineDecider } from '../app/deciders.js';

/**
 * The lifecycle handler: what a compute adapter observed (EventBridge, a pod watch, the simulation) becomes an event
 * on the machine's stream, once: repeats are dropped by the machine decider.
 */
const observationDecider = machineDecider<Observation>((observation, state) => observeMachine(observation, state));

export const createObservationRecorder =
  (store: EventStore, now: () => string) =>
  async (machineId: string, observation: Observation): Promise<void> => {
    const outcome = await decideAndAppend(store, observationDecider, machineStreamId(machineId), observation, {
      at: now(),
    });
    if (outcome.kind === 'conflict-retries-exhausted')
      throw new Error(`machine ${machineId}: could not record ${observation.type}`);
  };
