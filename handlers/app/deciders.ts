import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { JobEvent } from '../../domain/events/job-events.js';
import { MachineEvent } from '../../domain/events/machine-events.js';
import { decideJob, type JobCommand, type JobRejection } from '../../domain/job/job-decide.js';
import { evolveJob, initialJobState, type JobState } from '../../domain/job/job-state.js';
import { evolveMachine, initialMachineState, type MachineState } from '../../domain/machine/machine-state.js';
import { formatValidationErrors } from '../../domain/shared/validation-errors.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import type * as t from 'io-ts';
import type { Decider } from './decide-and-append.js';

const decodeWith =
  <A>(codec: t.Decoder<unknown, A>) =>
  (recorded: RecordedEvent): E.Either<string, A> =>
    pipe(
      codec.decode({ type: recorded.type, data: recorded.data }),
      E.mapLeft((errors) => formatValidationErrors(errors)),
    );

export const jobDecider: Decider<JobState, JobCommand, JobEvent, JobRejection> = {
  initial: initialJobState,
  evolve: evolveJob,
  decide: decideJob,
  decode: decodeWith(JobEvent),
};

/** A machine "decider" whose decision is computed by the caller from the folded state (claims and observations). */
export const machineDecider = <C>(
  decide: (command: C, state: MachineState) => ReadonlyArray<MachineEvent>,
): Decider<MachineState, C, MachineEvent, never> => ({
  initial: initialMachineState,
  evolve: evolveMachine,
  decide: (command, state) => E.right(decide(command, state)),
  decode: decodeWith(MachineEvent),
});
