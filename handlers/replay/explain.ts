import type { DomainEvent } from '../../domain/events/domain-event.js';
import { machineIdFromRunnerName } from '../../domain/machine/launch-request.js';
import { jobStreamId, machineStreamId, parseStreamId } from '../../domain/shared/ids.js';
import type { ReplayResult, ReplayStep } from './engine.js';
import { formatDuration } from './render.js';

/**
 * `explain --job`: plain language from a job's replay. The latency breakdown follows the attempt that ran (the
 * machine whose runner started the job, else the last one assigned); detours are read from the events themselves.
 */
export interface Milestone {
  readonly name: string;
  readonly at: string | null;
  readonly note?: string;
}

export interface Explanation {
  readonly jobId: string;
  readonly summary: string;
  readonly milestones: ReadonlyArray<Milestone>;
  readonly detours: ReadonlyArray<string>;
}

const END_NAMES: Readonly<Record<string, string>> = {
  JobFailed: 'failed',
  JobCancelled: 'cancelled',
  JobRejected: 'rejected',
};
const END_TYPES = new Set(['JobCompleted', 'JobCancelled', 'JobFailed', 'JobRejected']);

const clock = (at: string): string => at.slice(11, 19);

type Typed<T extends DomainEvent['type']> = Extract<DomainEvent, { type: T }>;

/** The last (or first) step of a type, with its event narrowed. */
const find = <T extends DomainEvent['type']>(
  steps: ReadonlyArray<ReplayStep>,
  type: T,
  which: 'first' | 'last' = 'first',
): { readonly step: ReplayStep; readonly event: Typed<T> } | undefined => {
  const ordered = which === 'first' ? steps : [...steps].reverse();
  const step = ordered.find((s) => s.event?.type === type);
  return step === undefined ? undefined : { step, event: step.event as Typed<T> };
};

interface Context {
  readonly jobId: string;
  readonly result: ReplayResult;
  readonly ofJob: ReadonlyArray<ReplayStep>;
  /** The machine assigned last to the job (its own), and the one whose runner ran it. */
  readonly ownMachine: string | null;
  readonly ranOn: string | null;
}

const contextOf = (jobId: string, result: ReplayResult): Context => {
  const ofJob = result.steps.filter((s) => s.streamId === jobStreamId(jobId));
  return {
    jobId,
    result,
    ofJob,
    ownMachine: find(ofJob, 'RunnerAssigned', 'last')?.event.data.machineId ?? null,
    ranOn: machineIdFromRunnerName(find(ofJob, 'JobStarted', 'last')?.event.data.runnerName ?? null),
  };
};

const launchNote = (ctx: Context, launched: Typed<'MachineLaunched'>, machine: string): string => {
  const { instanceType, capacity, zone, cloudId } = launched.data;
  const owner = ctx.result.models.machine(machine)?.jobId ?? null;
  const forOther = owner !== null && owner !== ctx.jobId ? `, launched for job ${owner}` : '';
  return `${instanceType ?? 'pod'} ${capacity}${zone === null ? '' : ` in ${zone}`}, ${cloudId}${forOther}`;
};

const milestonesOf = (ctx: Context): ReadonlyArray<Milestone> => {
  const { ofJob } = ctx;
  const machine = ctx.ranOn ?? ctx.ownMachine;
  const ofMachine = machine === null ? [] : ctx.result.steps.filter((s) => s.streamId === machineStreamId(machine));
  const launched = find(ofMachine, 'MachineLaunched');
  const started = find(ofJob, 'JobStarted', 'last');
  const end = [...ofJob].reverse().find((s) => END_TYPES.has(s.type));
  const conclusion = end?.event?.type === 'JobCompleted' ? end.event.data.conclusion : undefined;
  const runnerName = started?.event.data.runnerName ?? null;
  return [
    { name: 'queued', at: ofJob.find((s) => s.type === 'JobQueued' || s.type === 'JobRejected')?.at ?? null },
    { name: 'runner requested', at: find(ofJob, 'RunnerRequested')?.step.at ?? null },
    {
      name: 'machine launched',
      at: launched?.step.at ?? null,
      ...(launched === undefined || machine === null ? {} : { note: launchNote(ctx, launched.event, machine) }),
    },
    { name: 'runner registered', at: find(ofMachine, 'RunnerRegistered')?.step.at ?? null },
    { name: 'job started', at: started?.step.at ?? null, ...(runnerName === null ? {} : { note: `on ${runnerName}` }) },
    {
      name: END_NAMES[end?.type ?? ''] ?? 'completed',
      at: end?.at ?? null,
      ...(conclusion === undefined ? {} : { note: conclusion }),
    },
  ];
};

/** The capacity the job's next attempt asked for (by attempt number, not position: DynamoDB orders by time only). */
const nextCapacity = (ctx: Context, attempt: number | null): string | null => {
  const request = ctx.ofJob.find(
    (s) => s.event?.type === 'RunnerRequested' && s.event.data.attempt === (attempt ?? 0) + 1,
  );
  return request?.event?.type === 'RunnerRequested' ? request.event.data.capacity : null;
};

const launchFailure = (ctx: Context, step: ReplayStep, e: Typed<'MachineLaunchFailed'>): string => {
  const next = nextCapacity(ctx, e.data.command.data.request.attempt);
  const types = e.data.typesTried.length === 0 ? 'no types' : e.data.typesTried.join(', ');
  const fallback = next !== null && next !== e.data.capacity ? `; fell back to ${next}` : '';
  return `${e.data.capacity} ${e.data.errorClass} error for ${types} at ${clock(step.at)}: ${e.data.message}${fallback}`;
};

const ranElsewhere = (ctx: Context, e: Typed<'JobStarted'>): string | null => {
  const taken = machineIdFromRunnerName(e.data.runnerName);
  if (taken === null || ctx.ownMachine === null || taken === ctx.ownMachine) return null;
  const owner = ctx.result.models.machine(taken)?.jobId ?? null;
  const launchedFor = owner === null ? '' : `, launched for job ${owner}`;
  return `ran on runner ${e.data.runnerName ?? ''}${launchedFor}, not on its own machine ${ctx.ownMachine}`;
};

/** The detour one step tells of, if any. */
const detourOf = (ctx: Context, step: ReplayStep): string | null => {
  const e = step.event;
  const when = `at ${clock(step.at)}`;
  switch (e?.type) {
    case 'JobRejected':
      return `rejected ${when}: ${e.data.code}: ${e.data.message}`;
    case 'JobRequeued': {
      const again =
        e.data.reason === 'runner-taken' ? '; re-dispatched' : e.data.reason === 'unschedulable' ? '; moved to EC2' : '';
      return `requeued ${when} (attempt ${String(e.data.attempt)}): ${e.data.reason}: ${e.data.detail}${again}`;
    }
    case 'JobRunnerLost':
      return `runner lost ${when} (attempt ${String(e.data.attempt)}): ${e.data.reason}`;
    case 'PoolClaimMissed':
      return (
        `warm-pool claim of member ${e.data.machineId} (pool ${e.data.pool}) missed ${when} ` +
        `(attempt ${String(e.data.attempt)}): ${e.data.reason}; cold-started instead`
      );
    case 'JobFailed':
      return `failed ${when}: ${e.data.reason}: ${e.data.message}`;
    case 'MachineLaunchFailed':
      return launchFailure(ctx, step, e);
    case 'SpotInterruptionWarned':
      return `${e.data.kind} warning for ${e.data.cloudId} ${when}`;
    case 'MachineUnschedulable':
      return `runner pod ${e.data.cloudId} unschedulable since ${clock(e.data.since)} (${when}): ${e.data.message}`;
    // Housekeeping decisions (handlers/housekeeping), recorded on the machine stream before they act.
    case 'MachineUnconfirmed':
      return `housekeeping ${when}: runner of machine ${e.data.command.data.machineIds.join(',')} took no job in ${String(e.data.minutes)} min (attempt ${String(e.data.attempt)}); terminating it`;
    case 'MachineOrphaned':
      return `housekeeping ${when}: ${e.data.cloudId} orphaned (${e.data.reason}, idle ${String(e.data.minutes)} min); terminating it`;
    case 'GhostRunnerFound':
      return `housekeeping ${when}: offline runner ${e.data.runnerName} (#${String(e.data.runnerId)}) left by a ${e.data.machineStatus} machine; deregistering it`;
    case 'GhostRunnerDeleted':
      return `housekeeping ${when}: runner #${String(e.data.runnerId)} deregistered${e.data.note === null ? '' : ` (${e.data.note})`}`;
    case 'JobStarted':
      return step.streamId === jobStreamId(ctx.jobId) ? ranElsewhere(ctx, e) : null;
    default:
      return null;
  }
};

/** The job's machines whose runner another job took, unless a runner-taken requeue already said so. */
const takenRunners = (ctx: Context): ReadonlyArray<string> => {
  const told = new Set(
    ctx.ofJob.flatMap((s) =>
      s.event?.type === 'JobRequeued' && s.event.data.reason === 'runner-taken' ? [s.event.data.machineId] : [],
    ),
  );
  return [...ctx.result.streams].flatMap((streamId) => {
    const parsed = parseStreamId(streamId);
    const use = parsed?.category === 'machine' ? ctx.result.models.runnerUse(parsed.id) : undefined;
    return parsed === null || use === undefined || use.jobId === ctx.jobId || told.has(parsed.id)
      ? []
      : [`runner of machine ${parsed.id} taken by job ${use.jobId} with the same labels`];
  });
};

export const explainJob = (jobId: string, result: ReplayResult): Explanation => {
  const ctx = contextOf(jobId, result);
  const milestones = milestonesOf(ctx);
  const detours = [...result.steps.flatMap((step) => detourOf(ctx, step) ?? []), ...takenRunners(ctx)];
  const view = result.models.job(jobId);
  const from = milestones[0]?.at ?? null;
  const end = milestones.at(-1);
  const total =
    from !== null && end?.at != null
      ? `, ${formatDuration(Date.parse(end.at) - Date.parse(from))} from queued to ${end.name}`
      : '';
  const status = view === undefined ? 'unknown' : view.status;
  const conclusion = view?.conclusion == null ? '' : ` (${view.conclusion})`;
  return { jobId, summary: `job ${jobId}: ${status}${conclusion}${total}`, milestones, detours };
};

const since = (at: string | null, previous: string | null): string => {
  if (at === null || previous === null) return '';
  const ms = Date.parse(at) - Date.parse(previous);
  return ms < 0 ? formatDuration(ms) : `+${formatDuration(ms)}`;
};

export const renderExplanation = (explanation: Explanation): string => {
  const lines = [explanation.summary, 'latency:'];
  let previous: string | null = null;
  for (const m of explanation.milestones) {
    const note = m.note === undefined ? '' : `  ${m.note}`;
    lines.push(
      `  ${m.name.padEnd(18)}  ${(m.at ?? '-').padEnd(24)}  ${since(m.at, previous).padStart(7)}${note}`.trimEnd(),
    );
    if (m.at !== null) previous = m.at;
  }
  lines.push('detours:');
  lines.push(...(explanation.detours.length === 0 ? ['  none'] : explanation.detours.map((d) => `  - ${d}`)));
  return `${lines.join('\n')}\n`;
};
