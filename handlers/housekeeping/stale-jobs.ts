import { decideStaleJob, isStale, staleJobCandidates, staleJobCausationId } from '../../domain/housekeeping/index.js';
import { githubFailureOf, type GithubJob } from '../../domain/ports/github.js';
import { jobStreamId } from '../../domain/shared/ids.js';
import { ReportBuilder, type HousekeepingDeps, type TaskReport } from './deps.js';
import { appendAt, readJob } from './streams.js';

/**
 * Stale jobs (every 5 minutes): a live job without news is checked against GitHub, at most `staleJobChecksPerCycle`
 * per cycle, each job at most once per `staleJobRecheckMinutes`. GitHub is read first; the decision (a completion,
 * or a visible failure when GitHub no longer knows the job) is appended at the job version the check was made on, so
 * a webhook that arrived meanwhile wins and nothing is recorded twice. The process then ends the job's machines.
 */
export interface StaleJobsState {
  /** When each job was last asked about (per process: a restart asks again, which is harmless). */
  readonly lastChecked: Map<string, string>;
}

export const createStaleJobsState = (): StaleJobsState => ({ lastChecked: new Map() });

const askGithub = async (
  deps: HousekeepingDeps,
  repo: string,
  installationId: number | null,
  jobId: string,
): Promise<
  { readonly kind: 'answer'; readonly job: GithubJob | null } | { readonly kind: 'unsure'; readonly why: string }
> => {
  try {
    return { kind: 'answer', job: await deps.github.getJob({ repo, installationId }, jobId) };
  } catch (error) {
    // A refusal (403: the App lost access) or a transient failure is uncertainty, never "gone".
    const failure = githubFailureOf(error);
    deps.logger.warn(
      { jobId, repo, failure: failure?.kind ?? 'transient' },
      'housekeeping: GitHub did not answer about a stale job',
    );

    return { kind: 'unsure', why: failure === null ? 'GitHub did not answer' : `GitHub refused: ${failure.kind}` };
  }
};

export const runStaleJobs = async (
  deps: HousekeepingDeps,
  state: StaleJobsState = createStaleJobsState(),
): Promise<TaskReport> => {
  const report = new ReportBuilder('stale-jobs');
  const views = await deps.views();
  const now = deps.now();
  for (const candidate of staleJobCandidates(views.jobs.values(), now, deps.settings, state.lastChecked)) {
    const jobId = candidate.jobId ?? '';
    const fresh = await readJob(deps.store, jobId);
    const { view } = fresh;
    if (!isStale(view, deps.now(), deps.settings) || view.repo === null) {
      report.keep('news arrived');
      continue;
    }
    state.lastChecked.set(jobId, deps.now());
    const answer = await askGithub(deps, view.repo, view.installationId, jobId);
    if (answer.kind === 'unsure') {
      report.keep(answer.why);
      continue;
    }
    const decision = decideStaleJob(view, fresh.identity, answer.job, deps.now());
    if (decision.kind === 'keep') {
      report.keep(decision.why);
      continue;
    }
    const metadata = { at: deps.now(), causationId: staleJobCausationId(jobId, fresh.version) };
    if (
      await appendAt(deps.store, { streamId: jobStreamId(jobId), version: fresh.version }, decision.events, metadata)
    ) {
      report.decided += 1;
      report.acted += 1;
    } else {
      report.withdrawn += 1;
    }
  }

  return report.build();
};
