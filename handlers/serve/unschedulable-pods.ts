import type { Logger } from 'pino';
import type { Unschedulable } from '../../adapters/k8s/index.js';
import type { Observation } from '../../domain/machine/machine-decide.js';

/**
 * Runner pods the scheduler cannot place (issue 8): the pod watch says so once, when the condition appears, and then
 * nothing changes until a node frees up or joins. This keeps each such pod with the time it became unschedulable and,
 * once past the deadline, records `MachineUnschedulable` on its machine stream; the process then moves the job to
 * EC2 or fails it visibly (domain/process/rules.ts `unschedulableRule`). A pod that got scheduled meanwhile is
 * running by then, and the recorder's decision (observeMachine) records nothing for it.
 */
export interface UnschedulablePods {
  seen(event: Unschedulable): void;
  /** Records every pod past its deadline; the timer calls it, tests may too. */
  sweep(): Promise<void>;
  stop(): void;
}

export interface UnschedulablePodsOptions {
  readonly deadlineMs: number;
  readonly now: () => number;
  readonly record: (machineId: string, observation: Observation) => Promise<void>;
  readonly logger: Logger;
  /** How often to look; default a quarter of the deadline, at most 15 s. */
  readonly intervalMs?: number;
}

interface Pending {
  readonly podName: string;
  readonly message: string;
  readonly sinceMs: number;
}

export const trackUnschedulablePods = (options: UnschedulablePodsOptions): UnschedulablePods => {
  const pending = new Map<string, Pending>();
  const { deadlineMs, now, record, logger } = options;

  const sweep = async (): Promise<void> => {
    const due = [...pending].filter(([, p]) => now() - p.sinceMs >= deadlineMs);
    for (const [machineId, p] of due) {
      const data = { cloudId: p.podName, message: p.message, since: new Date(p.sinceMs).toISOString() };
      try {
        await record(machineId, { type: 'MachineUnschedulable', data });
        pending.delete(machineId);
      } catch (error) {
        // Kept: the next sweep tries again.
        logger.warn({ err: error, machineId }, 'recording an unschedulable runner pod failed');
      }
    }
  };

  const timer = setInterval(() => void sweep(), options.intervalMs ?? Math.min(15_000, deadlineMs / 4));
  timer.unref();

  return {
    seen: (event) => {
      const parsed = event.since === null ? Number.NaN : Date.parse(event.since);
      const sinceMs = Number.isNaN(parsed) ? now() : parsed;
      const known = pending.get(event.machineId);
      // The first sight keeps its time: the deadline counts from when the scheduler first refused.
      pending.set(event.machineId, {
        podName: event.podName,
        message: event.message,
        sinceMs: Math.min(known?.sinceMs ?? sinceMs, sinceMs),
      });
    },
    sweep,
    stop: () => clearInterval(timer),
  };
};
