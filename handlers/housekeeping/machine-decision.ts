import type { MachineEvent } from '../../domain/events/machine-events.js';
import {
  planDecision,
  withFresh,
  type HousekeepingViews,
  type JobFacts,
  type Keep,
} from '../../domain/housekeeping/index.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import type { HousekeepingDeps, ReportBuilder } from './deps.js';
import { appendAt, readJob, readMachine, readPool, type FreshMachine } from './streams.js';

/**
 * Decide, record, re-read, act: the one path of every housekeeping act on a machine (DESIGN section 3, SPEC section
 * 6). The verdict is taken on the machine and its jobs as their streams hold them NOW; the decision is appended at
 * the version it was made on (a conflict means the state moved: nothing is done); right before the act everything is
 * read again (streams, and the cloud where the verdict depends on it), and a verdict that no longer holds withdraws
 * the act. The decision stays recorded either way, so replay shows what was decided and why nothing followed.
 */
export interface MachineTask<D extends MachineEvent, V extends { readonly kind: string }> {
  /** Re-reads the outside world the verdict depends on (the cloud); null when it depends on none. */
  readonly observe: () => Promise<unknown>;
  readonly verdict: (views: HousekeepingViews, machine: FreshMachine, observed: unknown) => V | Keep;
  readonly decision: (verdict: V, machine: FreshMachine, observed: unknown) => D;
  readonly sameDecision: (last: MachineEvent) => last is D;
  readonly act: (decision: D) => Promise<void>;
}

export type MachineOutcome = 'kept' | 'withdrawn' | 'acted';

const freshViews = async (
  deps: HousekeepingDeps,
  views: HousekeepingViews,
  machineId: string,
): Promise<{ views: HousekeepingViews; machine: FreshMachine }> => {
  const machine = await readMachine(deps.store, machineId);
  const jobIds = [machine.view.jobId, views.runnerUse(machineId)?.jobId].filter((id): id is string => id != null);
  const jobs: JobFacts[] = await Promise.all(jobIds.map(async (id) => (await readJob(deps.store, id)).view));
  const pool = machine.view.pool;
  const pools = pool === null ? [] : [[pool, await readPool(deps.store, pool)] as const];

  return { views: withFresh(views, { machines: [machine.view], jobs, pools }), machine };
};

const isKeep = (verdict: { readonly kind: string }): verdict is Keep => verdict.kind === 'keep';

/** Which machine, judged against which views, counted in which report. */
export interface MachineSubject {
  readonly views: HousekeepingViews;
  readonly machineId: string;
  readonly report: ReportBuilder;
}

export const decideOnMachine = async <D extends MachineEvent, V extends { readonly kind: string }>(
  deps: HousekeepingDeps,
  { views, machineId, report }: MachineSubject,
  task: MachineTask<D, V>,
): Promise<MachineOutcome> => {
  const first = await freshViews(deps, views, machineId);
  const observed = await task.observe();
  const verdict = task.verdict(first.views, first.machine, observed);
  if (isKeep(verdict)) {
    report.keep(verdict.why);

    return 'kept';
  }
  const plan = planDecision(
    first.machine.last,
    task.decision(verdict as V, first.machine, observed),
    task.sameDecision,
  );
  if (plan.kind === 'record') {
    const metadata = { at: deps.now(), causationId: `housekeeping:${plan.decision.type}` };
    const recorded = await appendAt(
      deps.store,
      { streamId: machineStreamId(machineId), version: first.machine.version },
      [plan.decision],
      metadata,
    );
    if (!recorded) {
      report.withdrawn += 1;

      return 'withdrawn';
    }
  }
  report.decided += 1;
  // Right before the act: the streams and the cloud once more.
  const second = await freshViews(deps, views, machineId);
  const still = task.verdict(second.views, second.machine, await task.observe());
  if (isKeep(still)) {
    deps.logger.info(
      { machineId, decision: plan.decision.type, why: still.why },
      'housekeeping: state changed, act withdrawn',
    );
    report.withdrawn += 1;

    return 'withdrawn';
  }
  await task.act(plan.decision);
  report.acted += 1;

  return 'acted';
};
