import type { GhostRunnerFound } from '../../domain/events/housekeeping-events.js';
import {
  ghostDecision,
  ghostDeleted,
  ghostVerdict,
  isGhostDecisionFor,
  planDecision,
  type HousekeepingViews,
} from '../../domain/housekeeping/index.js';
import { machineIdFromRunnerName } from '../../domain/machine/launch-request.js';
import { githubFailureOf, type GithubRunner, type RepoRef } from '../../domain/ports/github.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import { ReportBuilder, type HousekeepingDeps, type TaskReport } from './deps.js';
import { appendAt, appendOutcome, readMachine } from './streams.js';

/**
 * Ghost runners (every hour, SPEC lesson 12): per repository our jobs came from, GitHub's runner list against our
 * machines. A ghost's decision is recorded on its machine's stream; then, per repository, GitHub and the cloud are
 * read again and only registrations still offline, not busy and ghostly are deleted, at most `ghostRunnersPerCycle`
 * per cycle. A 404 on delete (already gone) counts as done.
 */
const listRunners = async (deps: HousekeepingDeps, ref: RepoRef): Promise<ReadonlyArray<GithubRunner>> => {
  const runners: GithubRunner[] = [];
  for await (const runner of deps.github.listRunners(ref)) runners.push(runner);

  return runners;
};

const aliveInCloud = async (deps: HousekeepingDeps): Promise<ReadonlySet<string>> => {
  const list = deps.compute.listManaged?.bind(deps.compute);

  return new Set(list === undefined ? [] : (await list()).flatMap((m) => (m.machineId === null ? [] : [m.machineId])));
};

/** The repositories our jobs came from, with the installation to ask through. */
const repositories = (views: HousekeepingViews): ReadonlyArray<RepoRef> => {
  const refs = new Map<string, number | null>();
  for (const job of views.jobs.values()) {
    if (job.repo !== null && (refs.get(job.repo) ?? null) === null) refs.set(job.repo, job.installationId);
  }

  return [...refs.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([repo, installationId]) => ({ repo, installationId }));
};

/** Decides on each runner of one repository; returns the decisions to carry out. */
const decideRepo = async (
  deps: HousekeepingDeps,
  ref: RepoRef,
  report: ReportBuilder,
  budget: number,
): Promise<ReadonlyArray<GhostRunnerFound>> => {
  const alive = await aliveInCloud(deps);
  const decided: GhostRunnerFound[] = [];
  for (const runner of await listRunners(deps, ref)) {
    if (decided.length >= budget) break;
    const nominated = ghostVerdict(runner, undefined, false);
    if (nominated.kind !== 'ghost') {
      report.keep(nominated.why);
      continue;
    }
    const machine = await readMachine(deps.store, nominated.machineId);
    const verdict = ghostVerdict(
      runner,
      machine.version === 0 ? undefined : machine.view,
      alive.has(nominated.machineId),
    );
    if (verdict.kind !== 'ghost') {
      report.keep(verdict.why);
      continue;
    }
    const plan = planDecision(
      machine.last,
      ghostDecision(verdict, machine.version, ref.repo, runner),
      isGhostDecisionFor(runner.id),
    );
    if (plan.kind === 'record') {
      const metadata = { at: deps.now(), causationId: 'housekeeping:GhostRunnerFound' };
      if (
        !(await appendAt(
          deps.store,
          { streamId: machineStreamId(verdict.machineId), version: machine.version },
          [plan.decision],
          metadata,
        ))
      ) {
        report.withdrawn += 1;
        continue;
      }
    }
    report.decided += 1;
    decided.push(plan.decision);
  }

  return decided;
};

interface Observed {
  readonly alive: ReadonlySet<string>;
  readonly runners: ReadonlyMap<number, GithubRunner>;
}

/** Deletes one decided ghost if it still is one (absent from GitHub: already done); false when it was not deleted. */
const deleteOne = async (
  deps: HousekeepingDeps,
  ref: RepoRef,
  decision: GhostRunnerFound,
  observed: Observed,
): Promise<'deleted' | 'withdrawn' | 'refused'> => {
  const { runnerId, command } = decision.data;
  const machineId = machineIdFromRunnerName(decision.data.runnerName) ?? '';
  const current = observed.runners.get(runnerId);
  if (current !== undefined) {
    const machine = await readMachine(deps.store, machineId);
    const still = ghostVerdict(
      current,
      machine.version === 0 ? undefined : machine.view,
      observed.alive.has(machineId),
    );
    if (still.kind !== 'ghost') {
      deps.logger.info(
        { runnerId, runnerName: current.name, why: still.why },
        'housekeeping: runner changed, delete withdrawn',
      );

      return 'withdrawn';
    }
    try {
      await deps.github.deleteRunner(ref, runnerId);
    } catch (error) {
      if (githubFailureOf(error) === null) throw error;

      return 'refused';
    }
  }
  const note = current === undefined ? 'already gone from GitHub' : null;
  const metadata = { at: deps.now(), commandId: command.commandId, causationId: command.commandId };
  await appendOutcome(deps.store, machineStreamId(machineId), ghostDeleted(decision, note), metadata);

  return 'deleted';
};

/** Re-reads GitHub and the cloud once for the repository, then deletes what is still a ghost, within the budget. */
const deleteGhosts = async (
  deps: HousekeepingDeps,
  ref: RepoRef,
  decisions: ReadonlyArray<GhostRunnerFound>,
  report: ReportBuilder,
): Promise<void> => {
  if (decisions.length === 0) return;
  const observed: Observed = {
    alive: await aliveInCloud(deps),
    runners: new Map((await listRunners(deps, ref)).map((runner) => [runner.id, runner])),
  };
  for (const decision of decisions) {
    const outcome = await deleteOne(deps, ref, decision, observed);
    if (outcome === 'deleted') report.acted += 1;
    else if (outcome === 'withdrawn') report.withdrawn += 1;
    else report.keep('GitHub refused the delete');
  }
};

export const runGhostRunners = async (deps: HousekeepingDeps): Promise<TaskReport> => {
  const report = new ReportBuilder('ghost-runners');
  const views = await deps.views();
  for (const ref of repositories(views)) {
    const budget = deps.settings.ghostRunnersPerCycle - report.acted;
    if (budget <= 0) {
      report.keep('cycle cap reached');
      break;
    }
    const decisions = await decideRepo(deps, ref, report, budget);
    await deleteGhosts(deps, ref, decisions, report);
  }

  return report.build();
};
