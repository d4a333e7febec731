import type { Command } from '../commands/commands.js';
import type { RequeueReason } from '../events/job-events.js';
import { isTerminal, type JobState } from '../job/job-state.js';
import { launchSettled, type MachineState } from '../machine/machine-state.js';
import { machineStreamId } from '../shared/ids.js';
import {
  assignFor,
  backendFor,
  failFor,
  launchFor,
  machineIdForAttempt,
  prepareConfigFor,
  requeueFor,
  rerunFor,
  terminateFor,
} from './command-builders.js';
import type { ProcessViews } from './process-views.js';
import { pickMember } from '../pool/claim.js';
import { claimFor, pendingPoolCommands, startClaimedFor } from '../pool/pool-commands.js';
import type { PoolState } from '../pool/pool-state.js';

/**
 * The process's rules, each a pure "what is still to be done for this entity" over the read models. `react` runs the
 * rules an event can trigger; `resume` runs all of them, so after a crash it re-derives exactly what is pending.
 * Every rule checks that the effect of its command is not yet recorded.
 */

/** The termination reason recorded for a machine the cloud no longer knows (found missing after a restart). */
export const VANISHED = 'vanished';

/** The termination reason housekeeping records for a machine whose runner never took its job (SPEC section 6). */
export const RUNNER_UNCONFIRMED = 'runner-unconfirmed';
const REQUEUE_REASON_BY_TERMINATION: Readonly<Record<string, RequeueReason>> = {
  [VANISHED]: 'machine-lost',
  [RUNNER_UNCONFIRMED]: 'runner-unconfirmed',
};

type Rule<T> = (views: ProcessViews, entity: T, now: string) => ReadonlyArray<Command>;
const some = (command: Command | null): ReadonlyArray<Command> => (command === null ? [] : [command]);

const WAITING = new Set(['provisioning', 'assigned']);
const isWaitingFor = (job: JobState | undefined, machine: MachineState): job is JobState =>
  job !== undefined &&
  job.attempt === machine.attempt &&
  WAITING.has(job.status) &&
  (job.machineId === null || job.machineId === machine.machineId);

const jobOf = (views: ProcessViews, machine: MachineState): JobState | undefined =>
  machine.jobId === null ? undefined : views.job(machine.jobId);

const use = (views: ProcessViews, machine: MachineState) =>
  machine.machineId === null ? undefined : views.runnerUse(machine.machineId);

const cause = (machine: MachineState, version: number) => ({
  streamId: machineStreamId(machine.machineId ?? ''),
  version,
});

/**
 * A machine is still needed while its runner serves a live job, or its job attempt still waits for it, or its job is
 * running on another runner: GitHub matches runners by label, so this machine's runner may be taking the sibling job
 * whose runner was taken, and the webhook saying so may still be on its way (SPEC lesson 15: never kill a machine
 * with an active job). Such a machine ends when its runner has run a job, or by the agent's idle exit.
 */
export const isNeeded = (views: ProcessViews, machine: MachineState): boolean => {
  if (machine.jobId === null) return true;
  const taken = use(views, machine);
  if (taken !== undefined) {
    const served = views.job(taken.jobId);

    return served === undefined || !isTerminal(served.status);
  }
  const job = jobOf(views, machine);
  const servedElsewhere = job?.status === 'running' && job.attempt === machine.attempt;

  return servedElsewhere || isWaitingFor(job, machine);
};

// ---- job rules

/**
 * A job naming a warm pool claims an idle member of it instead of launching (DESIGN section 3), unless the attempt
 * already holds one, or a pool detour happened (then it cold-starts). 'cold' when no member can serve.
 */
const warmStart = (views: ProcessViews, job: JobState): ReadonlyArray<Command> | 'cold' => {
  const claim = job.jobId === null ? undefined : views.poolClaim?.(job.jobId);
  if (claim !== undefined && claim.attempt === job.attempt) return [];
  const name = job.spec?.pool ?? null;
  const backend = backendFor(views, job);
  if (name === null || job.poolBypassed || backend === 'k8s') return 'cold';
  const pool = views.pool?.(name);
  if (pool === undefined || pool.config === null || pool.removed) return 'cold';
  const member = pickMember(pool.members.flatMap((id) => views.machine(id) ?? []));
  if (member === null) return 'cold';

  return some(claimFor(job, member, views.machine(member.machineId)?.version ?? 0));
};

export const launchRule: Rule<JobState> = (views, job, now) => {
  if (job.status !== 'provisioning') return [];
  const machineId = machineIdForAttempt(job);
  const machine = machineId === null ? undefined : views.machine(machineId);
  if (machine !== undefined && machine.status !== 'unknown') return [];
  const warm = warmStart(views, job);

  return warm === 'cold' ? some(launchFor(views, job, now)) : warm;
};

export const rerunRule: Rule<JobState> = (_views, job) =>
  job.status === 'completed' && job.conclusion === 'failure' && job.runnerLost && !job.rerunRequested
    ? some(rerunFor(job))
    : [];

// ---- machine rules

export const prepareConfigRule: Rule<MachineState> = (views, machine) => {
  // A claimed stopped member gets its config while it starts.
  const claimedStopped = machine.claimedVersion > 0 && machine.status === 'stopped';
  const live =
    machine.status === 'requested' || machine.status === 'launched' || machine.status === 'running' || claimedStopped;
  if (!live || machine.configPrepared || machine.jobId === null) return [];

  return some(prepareConfigFor(machine, jobOf(views, machine)));
};

export const launchRetryRule: Rule<MachineState> = (_views, machine) =>
  machine.launch !== null && !launchSettled(machine) ? [machine.launch] : [];

export const assignRule: Rule<MachineState> = (views, machine) => {
  const job = jobOf(views, machine);
  const launched = machine.status === 'launched' || machine.status === 'running';
  if (!launched || job === undefined || job.status !== 'provisioning' || job.attempt !== machine.attempt) return [];

  return some(assignFor(machine));
};

export const terminateRule: Rule<MachineState> = (views, machine) => {
  const alive = machine.status === 'launched' || machine.status === 'running' || machine.status === 'stopped';
  if (!alive || isNeeded(views, machine)) return [];

  return some(terminateFor(machine, cause(machine, machine.launchedVersion), 'not-needed'));
};

export const launchFailedRule: Rule<MachineState> = (views, machine) => {
  const job = jobOf(views, machine);
  if (machine.status !== 'failed' || machine.failure === null || !isWaitingFor(job, machine)) return [];
  const { errorClass, message } = machine.failure;
  const at = cause(machine, machine.failedVersion);
  if (errorClass === 'unauthorized' || errorClass === 'invalid') return some(failFor(job, at, message));
  const reason: RequeueReason = errorClass === 'throttled' ? 'launch-throttled' : 'launch-capacity';

  return some(requeueFor(job, at, { reason, machineId: machine.machineId, detail: `${errorClass}: ${message}` }));
};

export const interruptedRule: Rule<MachineState> = (views, machine) => {
  if (!machine.interrupted || machine.interruptionKind === null) return [];
  const at = cause(machine, machine.interruptedVersion);
  const detail = `${machine.interruptionKind} of ${machine.instanceType ?? 'machine'} ${machine.cloudId ?? ''}`.trim();
  const taken = use(views, machine);
  if (taken !== undefined) {
    const served = views.job(taken.jobId);
    const lost = served !== undefined && served.status === 'running' && !served.runnerLost;

    return lost
      ? some(requeueFor(served, at, { reason: machine.interruptionKind, machineId: machine.machineId, detail }))
      : [];
  }
  const job = jobOf(views, machine);

  return isWaitingFor(job, machine)
    ? some(requeueFor(job, at, { reason: machine.interruptionKind, machineId: machine.machineId, detail }))
    : [];
};

/** SPEC lesson 1: the runner finished (or died) and its job never started: GitHub still has it queued. */
export const stillQueuedRule: Rule<MachineState> = (views, machine) => {
  if (machine.status !== 'terminated' || machine.interrupted || use(views, machine) !== undefined) return [];
  const job = jobOf(views, machine);
  if (!isWaitingFor(job, machine)) return [];
  const detail = `machine ${machine.machineId ?? ''} ended (${machine.terminationReason ?? 'unknown'}) before its job started`;
  // A machine the cloud no longer knows was lost to us, not failed by its job: that does not spend the job's budget.
  // A runner housekeeping found unconfirmed is the job's own failure too, named so the requeue says why.
  const reason = REQUEUE_REASON_BY_TERMINATION[machine.terminationReason ?? ''] ?? 'still-queued';

  return some(
    requeueFor(job, cause(machine, machine.terminatedVersion), { reason, machineId: machine.machineId, detail }),
  );
};

/** Runners are matched by label, not bound to a job: a sibling with the same labels took this machine's runner. */
export const runnerTakenRule: Rule<MachineState> = (views, machine) => {
  const taken = use(views, machine);
  if (taken === undefined || taken.jobId === machine.jobId) return [];
  const job = jobOf(views, machine);
  if (!isWaitingFor(job, machine)) return [];
  const detail = `runner ${machine.runnerName ?? ''} was taken by job ${taken.jobId} with the same labels`;

  return some(requeueFor(job, taken.cause, { reason: 'runner-taken', machineId: machine.machineId, detail }));
};

// ---- warm-pool rules

/** A member claimed while stopped is started for its job; after `MachineStarted` the assign rule takes over. */
export const claimedStartRule: Rule<MachineState> = (views, machine) => {
  if (!(machine.claimedVersion > 0) || machine.status !== 'stopped' || machine.startFailed) return [];

  return isWaitingFor(jobOf(views, machine), machine) ? some(startClaimedFor(machine)) : [];
};

/** A claimed member the cloud would not start unwinds visibly: the job is requeued and cold-starts. */
export const poolMemberFailedRule: Rule<MachineState> = (views, machine) => {
  const job = jobOf(views, machine);
  if (!(machine.claimedVersion > 0) || !machine.startFailed || !isWaitingFor(job, machine)) return [];
  const detail = `pool member ${machine.machineId ?? ''} could not be started: ${machine.failure?.message ?? 'start failed'}`;

  return some(
    requeueFor(job, cause(machine, machine.startFailedVersion), {
      reason: 'pool-member-failed',
      machineId: machine.machineId,
      detail,
    }),
  );
};

/**
 * A runner pod no node could fit past the deadline (issue 8): the job moves to the fallback backend (EC2) when one is
 * configured, else fails visibly with the scheduler's reason. The pod, no longer needed, is then deleted by
 * `terminateRule` on the job's requeue or failure.
 */
export const unschedulableRule: Rule<MachineState> = (views, machine) => {
  const job = jobOf(views, machine);
  if (machine.unschedulable === null || machine.status === 'terminated' || !isWaitingFor(job, machine)) return [];
  const at = cause(machine, machine.unschedulableVersion);
  const { message, since } = machine.unschedulable;
  const fallback = views.settings.fallbackBackend ?? null;
  const requested = machine.launch?.data.request.backend ?? null;
  const detail = `runner pod unschedulable since ${since}: ${message}`;
  if (fallback === null || fallback === requested || job.backendFallback) {
    return some(failFor(job, at, `${detail} (no other backend to fall back to)`, 'unschedulable'));
  }

  return some(requeueFor(job, at, { reason: 'unschedulable', machineId: machine.machineId, detail }));
};

/** The commands of a pool's last reconcile whose effect is not recorded yet. */
export const poolRule: Rule<PoolState> = (views, pool) => pendingPoolCommands(pool, (id) => views.machine(id));

export const MACHINE_RULES: ReadonlyArray<Rule<MachineState>> = [
  launchRetryRule,
  prepareConfigRule,
  assignRule,
  terminateRule,
  launchFailedRule,
  interruptedRule,
  stillQueuedRule,
  runnerTakenRule,
  claimedStartRule,
  poolMemberFailedRule,
  unschedulableRule,
];
export const POOL_RULES: ReadonlyArray<Rule<PoolState>> = [poolRule];
export const JOB_RULES: ReadonlyArray<Rule<JobState>> = [launchRule, rerunRule];
