import type { HousekeepingDeps, TaskReport } from './deps.js';
import { runGhostRunners } from './ghost-runners.js';
import { runOrphanInstances } from './orphan-instances.js';
import { createStaleJobsState, runStaleJobs } from './stale-jobs.js';
import { runUnconfirmedRunners } from './unconfirmed-runners.js';

/**
 * The housekeeping tasks, their names and default periods (SPEC section 6). Each runs on its own timer; a cycle of
 * every task at once (`runHousekeepingCycle`) is what tests and an operator's one-off run use.
 */
export type HousekeepingTaskName = 'unconfirmed-runners' | 'stale-jobs' | 'orphan-instances' | 'ghost-runners';

export interface HousekeepingTask {
  readonly name: HousekeepingTaskName;
  readonly everyMs: number;
  readonly run: (deps: HousekeepingDeps) => Promise<TaskReport>;
}

const MINUTE = 60_000;

export const housekeepingTasks = (): ReadonlyArray<HousekeepingTask> => {
  const stale = createStaleJobsState();

  return [
    { name: 'unconfirmed-runners', everyMs: 2 * MINUTE, run: runUnconfirmedRunners },
    { name: 'stale-jobs', everyMs: 5 * MINUTE, run: (deps) => runStaleJobs(deps, stale) },
    { name: 'orphan-instances', everyMs: 5 * MINUTE, run: runOrphanInstances },
    { name: 'ghost-runners', everyMs: 60 * MINUTE, run: runGhostRunners },
  ];
};

/** Every task once, one after the other. */
export const runHousekeepingCycle = async (
  deps: HousekeepingDeps,
  tasks: ReadonlyArray<HousekeepingTask> = housekeepingTasks(),
): Promise<ReadonlyArray<TaskReport>> => {
  const reports: TaskReport[] = [];
  for (const task of tasks) reports.push(await task.run(deps));

  return reports;
};
