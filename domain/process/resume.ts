import type { Command } from '../commands/commands.js';
import type { EntityIndex, ProcessViews } from './process-views.js';
import { JOB_RULES, MACHINE_RULES, POOL_RULES } from './rules.js';

/**
 * `resume(views, now)`: every command still pending according to the read models, for a restart after a crash
 * between "decided" and "done". Commands keep the ids `react` gave them, so executors recognise work already done.
 */
export const resume = (views: ProcessViews, index: EntityIndex, now: string): ReadonlyArray<Command> => {
  const commands: Command[] = [];
  for (const jobId of index.jobIds()) {
    const job = views.job(jobId);
    if (job !== undefined) for (const rule of JOB_RULES) commands.push(...rule(views, job, now));
  }
  for (const machineId of index.machineIds()) {
    const machine = views.machine(machineId);
    if (machine !== undefined) for (const rule of MACHINE_RULES) commands.push(...rule(views, machine, now));
  }
  for (const name of index.poolNames?.() ?? []) {
    const pool = views.pool?.(name);
    if (pool !== undefined) for (const rule of POOL_RULES) commands.push(...rule(views, pool, now));
  }
  const seen = new Set<string>();

  return commands.filter((command) => !seen.has(command.commandId) && seen.add(command.commandId) !== undefined);
};
