import type { JobEvent } from '../events/job-events.js';
import { isTerminal } from '../job/job-state.js';
import type { GithubJob } from '../ports/github.js';
import { minutesBetween, toMillis } from '../shared/time.js';
import type { HousekeepingSettings } from './settings.js';
import { keep, type Keep } from './verdict.js';
import type { JobFacts } from './views.js';

/**
 * Stale jobs (SPEC section 6, lesson 1): a job we think is live (queued, provisioning, assigned or running) with no
 * news for a while may have ended at GitHub while we did not hear (a webhook lost, the service down). GitHub is read
 * FIRST, then the decision: completed there → the completion is recorded (the process then ends its machines); gone
 * (404) → the job fails visibly; anything else → left alone. A GitHub refusal (403, 5xx) is uncertainty: nothing.
 */
const LIVE = new Set(['queued', 'provisioning', 'assigned', 'running']);

/** The live jobs without news longer than the limit, not asked about recently, oldest news first, capped. */
export const staleJobCandidates = (
  jobs: Iterable<JobFacts>,
  now: string,
  settings: HousekeepingSettings,
  lastChecked: ReadonlyMap<string, string> = new Map(),
): ReadonlyArray<JobFacts> =>
  [...jobs]
    .filter((job) => isStale(job, now, settings))
    .filter((job) => {
      const checked = job.jobId === null ? undefined : lastChecked.get(job.jobId);

      return checked === undefined || minutesBetween(checked, now) >= settings.staleJobRecheckMinutes;
    })
    .sort((a, b) => toMillis(a.times.updatedAt ?? now) - toMillis(b.times.updatedAt ?? now))
    .slice(0, settings.staleJobChecksPerCycle);

export const isStale = (job: JobFacts, now: string, settings: HousekeepingSettings): boolean =>
  job.jobId !== null &&
  job.repo !== null &&
  LIVE.has(job.status) &&
  job.times.updatedAt !== null &&
  minutesBetween(job.times.updatedAt, now) >= settings.staleJobAfterMinutes;

export type StaleJobDecision = { readonly kind: 'record'; readonly events: ReadonlyArray<JobEvent> } | Keep;

export interface JobIdentity {
  readonly runId: string;
  readonly runAttempt: number;
}

/** `github` is GitHub's answer for the job: null when GitHub answered 404. */
export const decideStaleJob = (
  job: JobFacts,
  identity: JobIdentity,
  github: GithubJob | null,
  now: string,
): StaleJobDecision => {
  if (job.jobId === null || job.repo === null || isTerminal(job.status)) return keep('no longer live');
  const quiet =
    job.times.updatedAt === null
      ? ''
      : ` after ${Math.floor(minutesBetween(job.times.updatedAt, now))} minutes without news`;
  if (github === null) {
    const message = `GitHub no longer knows job ${job.jobId} of ${job.repo} (deleted run or repository?), found by housekeeping${quiet}`;

    return {
      kind: 'record',
      events: [{ type: 'JobFailed', data: { attempt: job.attempt, reason: 'gone-at-github', message } }],
    };
  }
  if (github.status !== 'completed') return keep(`GitHub says ${github.status}`);
  const ref = { jobId: job.jobId, runId: identity.runId, runAttempt: identity.runAttempt, repo: job.repo };
  const { runnerName } = github;
  if (github.conclusion === 'cancelled') {
    return { kind: 'record', events: [{ type: 'JobCancelled', data: { ...ref, runnerName, completedAt: null } }] };
  }
  const conclusion = github.conclusion ?? 'unknown';

  return {
    kind: 'record',
    events: [{ type: 'JobCompleted', data: { ...ref, conclusion, runnerName, completedAt: null } }],
  };
};
