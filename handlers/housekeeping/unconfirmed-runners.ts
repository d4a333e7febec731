import type { MachineUnconfirmed } from '../../domain/events/housekeeping-events.js';
import {
  isUnconfirmedFor,
  unconfirmedDecision,
  unconfirmedVerdict,
  type UnconfirmedVerdict,
} from '../../domain/housekeeping/index.js';
import { executeTerminate } from '../app/executors/terminate-executor.js';
import { ReportBuilder, type HousekeepingDeps, type TaskReport } from './deps.js';
import { decideOnMachine } from './machine-decision.js';

/**
 * Unconfirmed runners (every 2 minutes): machines whose runner took no job within the limit are terminated with the
 * reason `runner-unconfirmed`; the process's still-queued rule then requeues the job (budget 2) or fails it visibly.
 */
type Unconfirmed = Extract<UnconfirmedVerdict, { kind: 'unconfirmed' }>;

export const runUnconfirmedRunners = async (deps: HousekeepingDeps): Promise<TaskReport> => {
  const report = new ReportBuilder('unconfirmed-runners');
  const views = await deps.views();
  const now = deps.now();
  for (const [machineId, machine] of views.machines) {
    // The read models only nominate; the verdict that counts is taken on the streams as they are now.
    if (unconfirmedVerdict(views, machine, now, deps.settings).kind !== 'unconfirmed') continue;
    await decideOnMachine<MachineUnconfirmed, Unconfirmed>(
      deps,
      { views, machineId, report },
      {
        observe: async () => null,
        verdict: (fresh, { view }) => unconfirmedVerdict(fresh, view, deps.now(), deps.settings),
        decision: (verdict, { view, version }) => unconfirmedDecision(verdict, version, view.runnerRegistered),
        sameDecision: isUnconfirmedFor(machine.jobId ?? '', machine.attempt ?? 0),
        act: (decision) => executeTerminate(deps.store, deps.compute, decision.data.command, deps.now),
      },
    );
  }

  return report.build();
};
