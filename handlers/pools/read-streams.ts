import * as E from 'fp-ts/lib/Either.js';
import { decodeRecorded } from '../../domain/events/domain-event.js';
import type { JobEvent } from '../../domain/events/job-events.js';
import type { MachineEvent } from '../../domain/events/machine-events.js';
import { evolveJob, initialJobState, type JobState } from '../../domain/job/job-state.js';
import { evolveMachine, initialMachineState, type MachineState } from '../../domain/machine/machine-state.js';
import { jobStreamId, machineStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { UndecodableStreamError } from '../app/decide-and-append.js';

/**
 * Fresh, consistent reads of one job or machine stream, folded: what a pool executor re-checks just before an
 * irreversible act (SPEC section 6: re-read state first), never the possibly lagging read models.
 */
const foldStream = async <S, Ev>(
  store: EventStore,
  streamId: string,
  initial: S,
  evolve: (state: S, event: Ev, version: number) => S,
): Promise<S & { readonly version: number }> => {
  let state = initial;
  let version = 0;
  for (const recorded of await store.read(streamId)) {
    const decoded = decodeRecorded(recorded);
    if (E.isLeft(decoded)) throw new UndecodableStreamError(streamId, JSON.stringify(decoded.left));
    state = evolve(state, decoded.right.event as Ev, recorded.version);
    version = recorded.version;
  }

  return { ...state, version };
};

export const readMachine = (store: EventStore, machineId: string) =>
  foldStream<MachineState, MachineEvent>(store, machineStreamId(machineId), initialMachineState, evolveMachine);

export const readJob = (store: EventStore, jobId: string) =>
  foldStream<JobState, JobEvent>(store, jobStreamId(jobId), initialJobState, evolveJob);
