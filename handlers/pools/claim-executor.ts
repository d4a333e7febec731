import * as E from 'fp-ts/lib/Either.js';
import type { ClaimPoolMember } from '../../domain/commands/commands.js';
import type { JobEvent } from '../../domain/events/job-events.js';
import { evolveJob, initialJobState, type JobState } from '../../domain/job/job-state.js';
import { attemptWaits, claimRefusal, decideClaim, decideClaimMiss } from '../../domain/pool/claim.js';
import { jobStreamId, machineStreamId } from '../../domain/shared/ids.js';
import type { EventMetadata, EventStore } from '../../domain/store/event-store.js';
import { decideAndAppend, type Decider } from '../app/decide-and-append.js';
import { jobDecider, machineDecider } from '../app/deciders.js';
import { readJob, readMachine } from './read-streams.js';

/**
 * Carries out ClaimPoolMember: `MachineClaimed` appended to the member's stream at the version this worker read
 * (decideAndAppend re-reads and re-decides on a conflict), so of concurrent claims one wins and no lease is needed.
 * The loser records `PoolClaimMissed` on the job, whose attempt then cold-starts by reaction.
 */
export type ClaimResult = 'claimed' | 'missed' | 'stale';

const claimDecider = machineDecider<ClaimPoolMember>((command, state) => decideClaim(command, state));

const missDecider = (reason: string): Decider<JobState, ClaimPoolMember, JobEvent, never> => ({
  initial: initialJobState,
  evolve: evolveJob,
  decide: (command, state) => E.right(decideClaimMiss(command, reason, state)),
  decode: jobDecider.decode,
});

export const executeClaim = async (
  store: EventStore,
  command: ClaimPoolMember,
  at: () => string,
): Promise<ClaimResult> => {
  const metadata = (): EventMetadata => ({ at: at(), commandId: command.commandId, causationId: command.commandId });
  // A claim for an attempt that no longer waits (cancelled, requeued) would only waste a member.
  if (!attemptWaits(command, await readJob(store, command.data.jobId))) return 'stale';
  const streamId = machineStreamId(command.data.machineId);
  const claimed = await decideAndAppend(store, claimDecider, streamId, command, metadata());
  if (claimed.kind === 'appended') return 'claimed';
  const member = await readMachine(store, command.data.machineId);
  const refusal = claimRefusal(command, member);
  if (refusal === null) return 'claimed';
  const missed = await decideAndAppend(
    store,
    missDecider(refusal),
    jobStreamId(command.data.jobId),
    command,
    metadata(),
  );
  if (missed.kind === 'conflict-retries-exhausted') throw new Error('ClaimPoolMember: job stream kept changing');

  return 'missed';
};
