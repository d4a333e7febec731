import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../../domain/commands/commands.js';
import { decodeRecorded, type DomainEvent, type Envelope } from '../../domain/events/domain-event.js';
import { machineIdFromRunnerName } from '../../domain/machine/launch-request.js';
import type { ProcessSettings, ProcessViews } from '../../domain/process/process-views.js';
import { react as realReact } from '../../domain/process/react.js';
import { jobStreamId, machineStreamId, parseStreamId, poolStreamId } from '../../domain/shared/ids.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { ReadModels } from '../../projections/read-models.js';

/**
 * The replay engine: folds a store's events, in the store's order, through the same path the orchestrator uses
 * (`decodeRecorded` → `ReadModels.apply` → `react`) and records each step: what happened, when, and which commands
 * the current code derives from it. `react` is a parameter so a test can check `--diff` against a changed decision.
 */
export type React = (views: ProcessViews, envelope: Envelope) => ReadonlyArray<Command>;

/** Which streams a replay shows; every event is still folded, so cross-stream decisions see the whole state. */
export type ReplayScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'stream'; readonly streamId: string }
  | { readonly kind: 'job'; readonly jobId: string }
  | { readonly kind: 'pool'; readonly pool: string };

export interface ReplayStep {
  readonly at: string;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  /** The event's key fields, as `name=value` pairs. */
  readonly fields: Readonly<Record<string, string>>;
  /** Milliseconds since the previous step shown (null for the first). */
  readonly sinceMs: number | null;
  readonly commands: ReadonlyArray<Command>;
  /** Set when the event could not be folded: the stream is quarantined from here on. */
  readonly problem?: string;
  /** With `verbose`: the view of the step's entity after it. */
  readonly view?: unknown;
  readonly event?: DomainEvent;
  /** The command this event is the outcome of (job-side outcomes record it in their metadata). */
  readonly commandId?: string;
}

export interface ReplayOptions {
  readonly scope: ReplayScope;
  /** ISO 8601: events after it are not folded. */
  readonly until?: string;
  readonly verbose?: boolean;
  readonly settings?: ProcessSettings;
  readonly react?: React;
  /**
   * For a store without a global order (DynamoDB: sorted by time, then stream, then version): among events of the
   * same instant, an outcome waits until the step that derives its command has been folded, so a reaction is replayed
   * after its cause as it happened, not in stream-name order.
   */
  readonly causalTies?: boolean;
}

export interface ReplayResult {
  readonly steps: ReadonlyArray<ReplayStep>;
  readonly models: ReadModels;
  /** The streams shown (for a job: its stream and its machines'). */
  readonly streams: ReadonlySet<string>;
  /** Events folded in all (shown or not). */
  readonly folded: number;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** The fields worth a column, per event type; anything else shows nothing. */
export const keyFields = (event: DomainEvent): Record<string, string> => {
  const pick = (...names: string[]): Record<string, string> => {
    const data = event.data as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const name of names) if (data[name] !== null && data[name] !== undefined) out[name] = text(data[name]);
    return out;
  };
  switch (event.type) {
    case 'JobQueued':
      return { labels: event.data.labels.join(','), repo: event.data.repo };
    case 'JobRejected':
      return pick('code', 'message');
    case 'RunnerRequested':
      return pick('attempt', 'capacity');
    case 'RunnerAssigned':
      return pick('attempt', 'machineId', 'source');
    case 'JobStarted':
      return pick('runnerName');
    case 'JobCompleted':
      return pick('conclusion', 'runnerName');
    case 'JobRequeued':
      return pick('attempt', 'reason', 'machineId', 'detail');
    case 'JobRunnerLost':
      return pick('attempt', 'reason', 'machineId');
    case 'JobFailed':
      return pick('attempt', 'reason', 'message');
    case 'MachineRequested': {
      const { request } = event.data.command.data;
      return {
        job: request.jobId ?? '-',
        capacity: request.capacity,
        types: request.instanceTypes.join(','),
      };
    }
    case 'MachineLaunched':
      return pick('cloudId', 'instanceType', 'capacity', 'zone');
    case 'MachineLaunchFailed':
      return { ...pick('errorClass', 'capacity'), typesTried: event.data.typesTried.join(',') };
    case 'RunnerConfigPrepared':
    case 'RunnerRegistered':
      return pick('runnerName');
    case 'SpotInterruptionWarned':
      return pick('cloudId', 'kind');
    case 'MachineTerminated':
      return pick('cloudId', 'reason');
    default:
      return {};
  }
};

/** Machine ids an event of a job ties to the job. */
const machinesNamed = (jobId: string, envelope: Envelope): ReadonlyArray<string> => {
  const { event } = envelope;
  const parsed = parseStreamId(envelope.streamId);
  if (parsed?.category === 'machine')
    return event.type === 'MachineRequested' && event.data.command.data.request.jobId === jobId ? [parsed.id] : [];
  if (envelope.streamId !== jobStreamId(jobId)) return [];
  switch (event.type) {
    case 'RunnerAssigned':
      return [event.data.machineId];
    case 'JobRequeued':
    case 'JobRunnerLost':
      return event.data.machineId === null ? [] : [event.data.machineId];
    case 'JobStarted':
    case 'JobCompleted': {
      const machine = machineIdFromRunnerName(event.data.runnerName);
      return machine === null ? [] : [machine];
    }
    default:
      return [];
  }
};

/** The streams a scope shows: a job's are found in a first pass over the events (machine ids from both sides). */
export const streamsInScope = async (
  scope: ReplayScope,
  events: () => AsyncIterable<RecordedEvent>,
): Promise<ReadonlySet<string> | 'all'> => {
  switch (scope.kind) {
    case 'all':
      return 'all';
    case 'stream': {
      for await (const recorded of events()) if (recorded.streamId === scope.streamId) return new Set([scope.streamId]);
      return new Set();
    }
    case 'pool': {
      const streams = new Set<string>();
      for await (const recorded of events()) {
        if (recorded.streamId === poolStreamId(scope.pool)) streams.add(recorded.streamId);
        if (recorded.type !== 'MachineRequested') continue;
        const decoded = decodeRecorded(recorded);
        if (E.isRight(decoded) && decoded.right.event.type === 'MachineRequested')
          if (decoded.right.event.data.command.data.request.pool === scope.pool) streams.add(recorded.streamId);
      }
      return streams;
    }
    case 'job': {
      const streams = new Set<string>();
      for await (const recorded of events()) {
        if (recorded.streamId !== jobStreamId(scope.jobId) && recorded.type !== 'MachineRequested') continue;
        const decoded = decodeRecorded(recorded);
        if (recorded.streamId === jobStreamId(scope.jobId)) streams.add(recorded.streamId);
        if (E.isRight(decoded))
          for (const machine of machinesNamed(scope.jobId, decoded.right)) streams.add(machineStreamId(machine));
      }
      // A job that never existed has no stream of its own, whatever machines name it.
      return streams.has(jobStreamId(scope.jobId)) ? streams : new Set();
    }
  }
};

/** Reorders events of one instant so that an outcome (its metadata names a commandId) follows the step deriving it. */
async function* causalOrder(
  events: AsyncIterable<RecordedEvent>,
  derived: ReadonlySet<string>,
): AsyncGenerator<RecordedEvent> {
  const group: RecordedEvent[] = [];
  function* drain(): Generator<RecordedEvent> {
    while (group.length > 0) {
      const heads = group.filter((e, i) => group.findIndex((x) => x.streamId === e.streamId) === i);
      const ready = heads.find((e) => e.metadata.commandId === undefined || derived.has(e.metadata.commandId));
      const next = ready ?? heads[0];
      if (next === undefined) return;
      group.splice(group.indexOf(next), 1);
      yield next;
    }
  }
  for await (const event of events) {
    if (group[0] !== undefined && group[0].metadata.at !== event.metadata.at) yield* drain();
    group.push(event);
  }
  yield* drain();
}

const viewOf = (models: ReadModels, streamId: string): unknown => {
  const parsed = parseStreamId(streamId);
  if (parsed === null) return null;
  const views = { job: models.jobs, machine: models.machines, pool: models.pools } as const;
  return views[parsed.category].get(parsed.id) ?? null;
};

export const replay = async (
  events: () => AsyncIterable<RecordedEvent>,
  options: ReplayOptions,
): Promise<ReplayResult> => {
  const react = options.react ?? realReact;
  const models = new ReadModels(options.settings ?? { defaultBackend: 'ec2' });
  const inScope = await streamsInScope(options.scope, events);
  const shown = (streamId: string) => inScope === 'all' || inScope.has(streamId);
  const steps: ReplayStep[] = [];
  const streams = new Set<string>();
  let previousAt: string | null = null;
  let folded = 0;
  const derived = new Set<string>();
  const ordered = options.causalTies === true ? causalOrder(events(), derived) : events();
  for await (const recorded of ordered) {
    if (options.until !== undefined && recorded.metadata.at > options.until) break;
    folded += 1;
    const decoded = decodeRecorded(recorded);
    let problem: string | undefined;
    let commands: ReadonlyArray<Command> = [];
    let event: DomainEvent | undefined;
    if (E.isLeft(decoded)) {
      const failure = decoded.left;
      problem = failure.kind === 'UnknownEventType' ? `unknown event type ${failure.type}` : failure.reason;
      models.quarantine({ streamId: recorded.streamId, version: recorded.version, reason: problem });
    } else {
      event = decoded.right.event;
      const outcome = models.apply(decoded.right);
      if (outcome.kind === 'apply') commands = react(models, decoded.right);
      else if (outcome.kind !== 'duplicate') {
        problem = `not applied: ${outcome.kind}`;
        models.quarantine({ streamId: recorded.streamId, version: recorded.version, reason: problem });
      }
    }
    if (options.causalTies === true) for (const command of commands) derived.add(command.commandId);
    if (!shown(recorded.streamId)) continue;
    streams.add(recorded.streamId);
    const at = recorded.metadata.at;
    steps.push({
      at,
      streamId: recorded.streamId,
      version: recorded.version,
      type: recorded.type,
      fields: event === undefined ? {} : keyFields(event),
      sinceMs: previousAt === null ? null : Date.parse(at) - Date.parse(previousAt),
      commands,
      ...(problem === undefined ? {} : { problem }),
      ...(options.verbose === true ? { view: viewOf(models, recorded.streamId) } : {}),
      ...(event === undefined ? {} : { event }),
      ...(recorded.metadata.commandId === undefined ? {} : { commandId: recorded.metadata.commandId }),
    });
    previousAt = at;
  }
  return { steps, models, streams, folded };
};

/** The views of the streams shown, by category: the `state` of a replay. */
export const stateOf = (result: ReplayResult, scope: ReplayScope): Record<string, unknown> => {
  const { models } = result;
  const include = (streamId: string) => scope.kind === 'all' || result.streams.has(streamId);
  const pick = <V>(map: ReadonlyMap<string, V>, streamOf: (id: string) => string) =>
    Object.fromEntries([...map.entries()].filter(([id]) => include(streamOf(id))).sort(([a], [b]) => (a < b ? -1 : 1)));
  const quarantined = [...models.quarantined.values()].filter((q) => include(q.streamId));
  return {
    jobs: pick(models.jobs, jobStreamId),
    machines: pick(models.machines, machineStreamId),
    pools: pick(models.pools, poolStreamId),
    ...(quarantined.length === 0 ? {} : { quarantined }),
  };
};

/** One line per entity shown: `job 101 completed (attempt 1)`, `machine abc… terminated`. */
export const summarizeState = (result: ReplayResult, scope: ReplayScope): string => {
  const state = stateOf(result, scope) as {
    jobs: Record<string, { status: string; attempt: number; machineId: string | null }>;
    machines: Record<string, { status: string; instanceType: string | null; capacity: string | null }>;
    pools: Record<string, unknown>;
  };
  const lines = [
    ...Object.entries(state.jobs).map(
      ([id, job]) => `job ${id}: ${job.status}, attempt ${String(job.attempt)}, machine ${job.machineId ?? '-'}`,
    ),
    ...Object.entries(state.machines).map(
      ([id, m]) =>
        `machine ${id}: ${m.status}${m.instanceType === null ? '' : `, ${m.instanceType} ${m.capacity ?? ''}`.trimEnd()}`,
    ),
    ...Object.keys(state.pools).map((name) => `pool ${name}`),
    ...[...result.models.quarantined.values()]
      .filter((q) => scope.kind === 'all' || result.streams.has(q.streamId))
      .map((q) => `quarantined ${q.streamId} at version ${String(q.version)}: ${q.reason}`),
  ];
  return `state at the end:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
};
