import type { AssignRunner, FailJob, RequeueJob } from '../../../domain/commands/commands.js';
import { jobStreamId } from '../../../domain/shared/ids.js';
import type { EventStore } from '../../../domain/store/event-store.js';
import { decideAndAppend, type DecideOutcome } from '../decide-and-append.js';
import { jobDecider } from '../deciders.js';
import type { JobEvent } from '../../../domain/events/job-events.js';
import type { JobRejection } from '../../../domain/job/job-decide.js';

/** Commands the job decider carries out: a conditional append to the job stream, idempotent by attempt. */
export const executeJobCommand = (
  store: EventStore,
  command: AssignRunner | RequeueJob | FailJob,
  at: () => string,
): Promise<DecideOutcome<JobEvent, JobRejection>> =>
  decideAndAppend(store, jobDecider, jobStreamId(command.data.jobId), command, {
    at: at(),
    commandId: command.commandId,
    causationId: command.commandId,
  });
