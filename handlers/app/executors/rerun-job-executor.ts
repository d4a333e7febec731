import * as E from 'fp-ts/lib/Either.js';
import type { Command, RerunJob } from '../../../domain/commands/commands.js';
import type { JobRerunRequested } from '../../../domain/events/job-events.js';
import type { CommandExecutor } from '../../../domain/ports/command-bus.js';
import { githubFailureOf, type GithubFailure, type GithubPort } from '../../../domain/ports/github.js';
import { jobStreamId } from '../../../domain/shared/ids.js';
import type { EventStore, RecordedEvent } from '../../../domain/store/event-store.js';
import { decideAndAppend, type Decider } from '../decide-and-append.js';

/**
 * Carries out RerunJob (SPEC lesson 14): asks GitHub to re-run the job, then records `JobRerunRequested` on the job
 * stream once. Idempotent by commandId: a job stream that holds an event of this command is not asked about again
 * (GitHub would re-run twice, or refuse a re-run of a running job).
 */
export interface RerunJobDeps {
  readonly store: EventStore;
  readonly github: GithubPort;
  readonly at: () => string;
}

export type RerunJobResult =
  | { readonly kind: 'requested' }
  | { readonly kind: 'already-requested' }
  /** GitHub refused for good (job too old, not found, already running): nothing recorded. */
  | { readonly kind: 'refused'; readonly failure: GithubFailure };

/** A job-stream event seen only as "which command wrote it". */
interface Stamped {
  readonly type: string;
  readonly data: unknown;
  readonly commandId: string | null;
}

const stamped = (recorded: RecordedEvent): Stamped => ({
  type: recorded.type,
  data: recorded.data,
  commandId: recorded.metadata.commandId ?? null,
});

/** State: whether this command already wrote to the stream. */
const rerunDecider = (commandId: string): Decider<boolean, RerunJob, Stamped, never> => ({
  initial: false,
  evolve: (seen, event) => seen || event.commandId === commandId,
  decide: (command, seen) => {
    const event: JobRerunRequested = { type: 'JobRerunRequested', data: { commandId: command.commandId } };

    return E.right(seen ? [] : [{ ...event, commandId: command.commandId }]);
  },
  decode: (recorded) => E.right(stamped(recorded)),
});

/** The installation the webhook named (JobQueued), so the adapter need not look it up. */
const installationOf = (history: ReadonlyArray<RecordedEvent>): number | null => {
  for (const recorded of history) {
    if (recorded.type !== 'JobQueued' || typeof recorded.data !== 'object' || recorded.data === null) continue;
    const id = (recorded.data as { installationId?: unknown }).installationId;
    if (typeof id === 'number') return id;
  }

  return null;
};

export const executeRerunJob = async (deps: RerunJobDeps, command: RerunJob): Promise<RerunJobResult> => {
  const streamId = jobStreamId(command.data.jobId);
  const history = await deps.store.read(streamId);
  if (history.some((recorded) => recorded.metadata.commandId === command.commandId))
    return { kind: 'already-requested' };

  try {
    await deps.github.rerunJob(
      { repo: command.data.repo, installationId: installationOf(history) },
      command.data.jobId,
    );
  } catch (error) {
    const failure = githubFailureOf(error);
    if (failure === null) throw error;

    return { kind: 'refused', failure };
  }

  const metadata = { at: deps.at(), commandId: command.commandId, causationId: command.commandId };
  const outcome = await decideAndAppend(deps.store, rerunDecider(command.commandId), streamId, command, metadata);
  if (outcome.kind === 'conflict-retries-exhausted')
    throw new Error(`${streamId}: could not record JobRerunRequested (${command.commandId}); retry`);

  return outcome.kind === 'appended' ? { kind: 'requested' } : { kind: 'already-requested' };
};

export const rerunJobExecutor =
  (deps: RerunJobDeps, report?: (command: RerunJob, result: RerunJobResult) => void): CommandExecutor =>
  async (command: Command) => {
    if (command.type !== 'RerunJob') return;
    const result = await executeRerunJob(deps, command);
    report?.(command, result);
  };
