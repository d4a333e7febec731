import type { HousekeepingDeps, TaskReport } from './deps.js';
import { housekeepingTasks, type HousekeepingTask } from './cycle.js';

/**
 * Housekeeping on timers: one interval per task, never two runs of a task at once (a slow run makes the next tick
 * skip), a failing run logged and retried at the next tick. `stop` clears the timers and waits for runs in flight.
 * Several replicas may run these at the same time: decisions are appended at the version they were made on, so two
 * replicas deciding the same thing conflict and only one acts.
 */
export interface HousekeepingTimers {
  stop(): Promise<void>;
}

export interface HousekeepingTimerOptions {
  readonly tasks?: ReadonlyArray<HousekeepingTask>;
  readonly onReport?: (report: TaskReport) => void;
}

export const startHousekeeping = (
  deps: HousekeepingDeps,
  options: HousekeepingTimerOptions = {},
): HousekeepingTimers => {
  const running = new Map<string, Promise<void>>();
  let stopped = false;
  const tick = (task: HousekeepingTask): void => {
    if (stopped || running.has(task.name)) return;
    const run = task
      .run(deps)
      .then((report) => {
        options.onReport?.(report);
        if (report.decided > 0 || report.withdrawn > 0) deps.logger.info({ ...report }, 'housekeeping');
      })
      .catch((error: unknown) => deps.logger.error({ err: error, task: task.name }, 'housekeeping task failed'))
      .finally(() => running.delete(task.name));
    running.set(task.name, run);
  };
  const timers = (options.tasks ?? housekeepingTasks()).map((task) =>
    setInterval(() => tick(task), task.everyMs).unref(),
  );

  return {
    stop: async () => {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.allSettled([...running.values()]);
    },
  };
};
