import type { MachineOrphaned } from '../../domain/events/housekeeping-events.js';
import {
  isOrphanDecision,
  orphanDecision,
  orphanVerdict,
  type HousekeepingViews,
  type OrphanVerdict,
} from '../../domain/housekeeping/index.js';
import type { ManagedMachine } from '../../domain/ports/compute.js';
import { executeTerminate } from '../app/executors/terminate-executor.js';
import { ReportBuilder, type HousekeepingDeps, type TaskReport } from './deps.js';
import { decideOnMachine } from './machine-decision.js';

/**
 * Orphan instances and expired pool members (every 5 minutes): the cloud's list of our managed machines against the
 * read models. Only the cloud's answer can show a machine our records forgot; only our records can say a machine is
 * needed. Both are read again right before each termination. Without `listManaged` (a compute port that cannot list)
 * the task does nothing.
 */
type Orphan = Extract<OrphanVerdict, { kind: 'orphan' }>;

const KEEP_GONE = { kind: 'keep', why: 'gone from the cloud' } as const;

export const runOrphanInstances = async (deps: HousekeepingDeps): Promise<TaskReport> => {
  const report = new ReportBuilder('orphan-instances');
  const list = deps.compute.listManaged?.bind(deps.compute);
  if (list === undefined) {
    report.keep('the compute port cannot list its machines');

    return report.build();
  }
  const cloud = await list();
  const views: HousekeepingViews = await deps.views();
  const now = deps.now();
  for (const listed of cloud) {
    const first = orphanVerdict(views, listed, now, deps.settings);
    if (first.kind !== 'orphan') {
      report.keep(first.why);
      continue;
    }
    const machineId = first.machineId;
    const inCloud = async (): Promise<ManagedMachine | null> =>
      (await list()).find((machine) => machine.machineId === machineId) ?? null;
    await decideOnMachine<MachineOrphaned, Orphan>(
      deps,
      { views, machineId, report },
      {
        observe: inCloud,
        verdict: (fresh, _machine, observed) => {
          const current = observed as ManagedMachine | null;

          return current === null ? KEEP_GONE : orphanVerdict(fresh, current, deps.now(), deps.settings);
        },
        decision: (verdict, { version }, observed) =>
          orphanDecision(verdict, version, (observed as ManagedMachine | null) ?? listed),
        sameDecision: isOrphanDecision,
        act: (decision) => executeTerminate(deps.store, deps.compute, decision.data.command, deps.now),
      },
    );
  }

  return report.build();
};
