import type { ClaimPoolMember } from '../commands/commands.js';
import type { JobEvent } from '../events/job-events.js';
import type { MachineEvent } from '../events/machine-events.js';
import type { JobState } from '../job/job-state.js';
import { isClaimable, type MachineState } from '../machine/machine-state.js';

/**
 * Claiming a warm-pool member for a job attempt (DESIGN section 3): `MachineClaimed` appended to the member's stream
 * at the version the deciding worker read, so of two concurrent claims one wins and the other re-reads and misses.
 * A miss is recorded on the job (`PoolClaimMissed`) and the attempt cold-starts: a visible detour, never a wait.
 */

/** Hot members first (a running runner takes the job in seconds), then booting, then stopped; by id within each. */
const PREFERENCE: Readonly<Record<string, number>> = { running: 0, launched: 1, stopped: 2 };

export const pickMember = (
  members: ReadonlyArray<MachineState & { readonly machineId: string | null }>,
): (MachineState & { readonly machineId: string }) | null => {
  const claimable = members
    .filter((m): m is MachineState & { readonly machineId: string } => m.machineId !== null && isClaimable(m))
    .sort((a, b) => {
      const rank = (PREFERENCE[a.status] ?? 9) - (PREFERENCE[b.status] ?? 9);

      return rank !== 0 ? rank : a.machineId < b.machineId ? -1 : 1;
    });

  return claimable[0] ?? null;
};

/** Why a claim cannot be made on the member as it is now; null when it can. */
export const claimRefusal = (command: ClaimPoolMember, member: MachineState): string | null => {
  if (member.claimedVersion > 0) {
    return member.jobId === command.data.jobId && member.attempt === command.data.attempt
      ? null
      : `claimed by job ${member.jobId ?? '?'}`;
  }
  if (member.pool !== command.data.pool) return `not a member of pool ${command.data.pool}`;
  if (member.retiring != null) return `being ${member.retiring.action === 'stop' ? 'stopped' : 'terminated'}`;
  if (!isClaimable(member)) return `not claimable (${member.status})`;

  return null;
};

/** The member side: the claim, or nothing when this attempt already holds it (a repeated command). */
export const decideClaim = (command: ClaimPoolMember, member: MachineState): ReadonlyArray<MachineEvent> => {
  if (claimRefusal(command, member) !== null || member.claimedVersion > 0) return [];
  const { jobId, attempt, label, repo, pool } = command.data;

  return [
    {
      type: 'MachineClaimed',
      data: { jobId, attempt, runnerName: member.runnerName ?? '', label, repo, pool },
    },
  ];
};

/** The job side of a miss: recorded once, and only while the attempt still waits for a runner. */
export const decideClaimMiss = (command: ClaimPoolMember, reason: string, job: JobState): ReadonlyArray<JobEvent> => {
  const { attempt, machineId, pool } = command.data;
  if (job.status !== 'provisioning' || job.attempt !== attempt || job.poolBypassed) return [];

  return [{ type: 'PoolClaimMissed', data: { attempt, machineId, pool, reason } }];
};

/** Whether the job attempt still wants a runner: a claim for a finished or moved-on attempt would waste a member. */
export const attemptWaits = (command: ClaimPoolMember, job: JobState): boolean =>
  job.status === 'provisioning' && job.attempt === command.data.attempt;
