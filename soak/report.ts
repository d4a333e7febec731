import type { SoakResult } from './soak.js';
import { isClean } from './soak.js';

/** The soak's printed report; its last line is exactly `SOAK LOST=<n> DUPLICATE=<n> ORPHAN=<n> JOBS=<n>`. */
const ms = (value: number | null): string => (value === null ? 'n/a' : `${String(Math.round(value))} ms`);

export const soakLine = (result: SoakResult): string => {
  const { verdict } = result;

  return `SOAK LOST=${String(verdict.lost)} DUPLICATE=${String(verdict.duplicates)} ORPHAN=${String(verdict.orphans)} JOBS=${String(verdict.accepted)}`;
};

const sample = (items: ReadonlyArray<string>): string =>
  items.length === 0 ? '' : `: ${items.slice(0, 10).join(', ')}${items.length > 10 ? ', …' : ''}`;

export const formatReport = (result: SoakResult): ReadonlyArray<string> => {
  const { verdict, options, relay, kills } = result;
  const lines = [
    `soak seed ${String(options.seed)}: ${String(options.jobs)} jobs planned, ${String(options.orchestrators)} orchestrators, ` +
      `${String(Math.round(result.durationMs / 1000))} s in all (workload ${String(Math.round(result.workloadMs / 1000))} s)`,
    `faults: ${String(kills.byPoint)} kills at kill points, ${String(kills.external)} SIGKILLs from outside, ` +
      `${String(kills.startFailures)} deaths while starting; ${String(relay.received)} webhooks sent, ` +
      `${String(relay.deliveries)} deliveries (${String(relay.duplicated)} duplicated, ` +
      `${String(relay.delayed)} delayed, ${String(relay.retried)} retried)`,
    `jobs accepted:        ${String(verdict.accepted)} (of which ${String(verdict.reruns)} re-runs GitHub created)`,
    `served:               ${String(verdict.served)}`,
    `visibly failed:       ${String(verdict.visiblyFailed)}`,
    `lost:                 ${String(verdict.lost)}${sample(verdict.lostJobs)}`,
    `machines launched:    ${String(verdict.machinesLaunched)} (of which ${String(verdict.poolMembers.launched)} pool members, ` +
      `${String(verdict.poolMembers.servedJobs)} of them ran a job)`,
    `duplicate launches:   ${String(verdict.duplicates)}${sample(verdict.duplicateAttempts)}`,
    `orphan machines:      ${String(verdict.orphans)}${sample(verdict.orphanMachines)}`,
    `time to runner:       p50 ${ms(verdict.timeToRunnerMs.p50)}, p99 ${ms(verdict.timeToRunnerMs.p99)}`,
    `deliveries refused:   ${String(relay.refused)}${sample(result.refusals)}; never acknowledged: ${String(relay.undelivered)}; answered 408 (retried): ${String(relay.timedOut)}`,
  ];
  if (!result.quiescent) lines.push('the run did not reach quiescence before the quiet timeout');
  if (!isClean(verdict)) {
    lines.push(
      `FAILED: seed ${String(options.seed)}; event log ${result.eventLog ?? '(not exported)'}; logs in ${options.dir}`,
    );
  }
  lines.push(soakLine(result));

  return lines;
};
