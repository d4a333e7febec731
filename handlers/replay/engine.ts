import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../../domain/commands/commands.js';
import { decodeRecorded, type DomainEvent, type Envelope } from '../../domain/events/domain-event.js';
import { machineIdFromRunnerName } from '../../domain/machine/launch-request.js';
import type { ProcessSettings, ProcessViews } from '../../domain/process/process-views.js';
import { react as realReact } from '../../domain/process/react.js';
import { jobStreamId, machineStreamId, parseStreamId, poolStreamId } from '../../domain/shared/ids.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { ReadModels } from '../../projections/read-models.js';
import { isoTimeMillis } from '../../adapters/store-jsonl/index.js';

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

type Decoded = ReturnType<typeof decodeRecorded>;

/**
 * The streams a scope shows, learnt while reading: a job's stream and the machines either side names (a machine's
 * `MachineRequested`, the job's `RunnerAssigned`, `JobStarted`, …), a pool's stream and the machines requested for it.
 * `add` returns the streams a relevant event brings in.
 */
interface ScopeDiscovery {
  readonly streams: Set<string>;
  /** Whether an event after `--until` can still bring in a stream with events before it. */
  readonly readsPastUntil: boolean;
  /** The streams shown, once every event has been seen: none when the scope names nothing. */
  final(): ReadonlySet<string>;
  /** Whether an event can bring in a stream at all (most cannot: no need to look further). */
  relevant(recorded: RecordedEvent): boolean;
  add(recorded: RecordedEvent, decoded: Decoded): ReadonlyArray<string>;
}

const discovery = (scope: ReplayScope): ScopeDiscovery | 'all' => {
  const streams = new Set<string>();
  switch (scope.kind) {
    case 'all':
      return 'all';
    case 'stream':
      return {
        streams,
        readsPastUntil: false,
        final: () => streams,
        relevant: (recorded) => recorded.streamId === scope.streamId,
        add: (recorded) => {
          if (streams.has(recorded.streamId)) return [];
          streams.add(recorded.streamId);
          return [recorded.streamId];
        },
      };
    case 'pool': {
      const own = poolStreamId(scope.pool);
      return {
        streams,
        readsPastUntil: true,
        final: () => streams,
        relevant: (recorded) => recorded.streamId === own || recorded.type === 'MachineRequested',
        add: (recorded, decoded) => {
          const named =
            recorded.streamId === own ||
            (E.isRight(decoded) &&
              decoded.right.event.type === 'MachineRequested' &&
              decoded.right.event.data.command.data.request.pool === scope.pool);
          if (!named || streams.has(recorded.streamId)) return [];
          streams.add(recorded.streamId);
          return [recorded.streamId];
        },
      };
    }
    case 'job': {
      const own = jobStreamId(scope.jobId);
      return {
        streams,
        readsPastUntil: true,
        // A job that never existed has no stream of its own, whatever machines name it.
        final: () => (streams.has(own) ? streams : new Set()),
        relevant: (recorded) => recorded.streamId === own || recorded.type === 'MachineRequested',
        add: (recorded, decoded) => {
          const named = recorded.streamId === own ? [own] : [];
          if (E.isRight(decoded))
            for (const machine of machinesNamed(scope.jobId, decoded.right)) named.push(machineStreamId(machine));
          const added = named.filter((streamId) => !streams.has(streamId));
          for (const streamId of added) streams.add(streamId);
          return added;
        },
      };
    }
  }
};

/** Reorders events of one instant so that an outcome (its metadata names a commandId) follows the step deriving it. */
class CausalOrder {
  private readonly group: RecordedEvent[] = [];

  constructor(private readonly derived: ReadonlySet<string>) {}

  *push(event: RecordedEvent): Generator<RecordedEvent> {
    if (this.group[0] !== undefined && this.group[0].metadata.at !== event.metadata.at) yield* this.drain();
    this.group.push(event);
  }

  /** Lazily: each pick sees the commands derived by the steps folded before it. */
  *drain(): Generator<RecordedEvent> {
    const { group, derived } = this;
    while (group.length > 0) {
      const heads = group.filter((e, i) => group.findIndex((x) => x.streamId === e.streamId) === i);
      const ready = heads.find((e) => e.metadata.commandId === undefined || derived.has(e.metadata.commandId));
      const next = ready ?? heads[0];
      if (next === undefined) return;
      group.splice(group.indexOf(next), 1);
      yield next;
    }
  }
}

const viewOf = (models: ReadModels, streamId: string): unknown => {
  const parsed = parseStreamId(streamId);
  if (parsed === null) return null;
  const views = { job: models.jobs, machine: models.machines, pool: models.pools } as const;
  return views[parsed.category].get(parsed.id) ?? null;
};

/** Events one at a time (tests, small stores) or a batch at a time (a JSONL file, SQLite pages). */
export type ReplayEvents = () => AsyncIterable<RecordedEvent> | AsyncIterable<Iterable<RecordedEvent>>;

const isBatch = (item: RecordedEvent | Iterable<RecordedEvent>): item is Iterable<RecordedEvent> =>
  Symbol.iterator in item;

const NO_COMMANDS: ReadonlyArray<Command> = Object.freeze([]);

interface Folded {
  readonly event?: DomainEvent;
  readonly commands: ReadonlyArray<Command>;
  /** Set when the event could not be folded: its stream is quarantined from here on. */
  readonly problem?: string;
}

const quarantined = (models: ReadModels, recorded: RecordedEvent, problem: string, event?: DomainEvent): Folded => {
  models.quarantine({ streamId: recorded.streamId, version: recorded.version, reason: problem });
  return event === undefined ? { commands: NO_COMMANDS, problem } : { event, commands: NO_COMMANDS, problem };
};

/**
 * The orchestrator's own path for one event: decode → apply → react; a failure quarantines the stream. (No closures
 * in here: it runs once per event.)
 */
const foldEvent = (models: ReadModels, react: React, recorded: RecordedEvent, decoded: Decoded): Folded => {
  if (E.isLeft(decoded)) {
    const failure = decoded.left;
    const problem = failure.kind === 'UnknownEventType' ? `unknown event type ${failure.type}` : failure.reason;
    return quarantined(models, recorded, problem);
  }
  const { event } = decoded.right;
  const outcome = models.apply(decoded.right);
  if (outcome.kind === 'apply') return { event, commands: react(models, decoded.right) };
  if (outcome.kind === 'duplicate') return { event, commands: NO_COMMANDS };
  return quarantined(models, recorded, `not applied: ${outcome.kind}`, event);
};

/** Milliseconds since the previous step shown; each time is read once, and an instant repeated is not read again. */
class StepClock {
  private previousAt: string | null = null;
  private previousMs = 0;

  since(at: string): number | null {
    const { previousAt } = this;
    if (previousAt !== null && at === previousAt) return 0;
    const ms = isoTimeMillis(at);
    const since = previousAt === null ? null : ms - this.previousMs;
    this.previousAt = at;
    this.previousMs = ms;
    return since;
  }
}

const stepOf = (recorded: RecordedEvent, folded: Folded, sinceMs: number | null, view: unknown): ReplayStep => {
  const { event, problem } = folded;
  const step: { -readonly [K in keyof ReplayStep]: ReplayStep[K] } = {
    at: recorded.metadata.at,
    streamId: recorded.streamId,
    version: recorded.version,
    type: recorded.type,
    fields: event === undefined ? {} : keyFields(event),
    sinceMs,
    commands: folded.commands,
  };
  // Key order as the JSON document has always shown them.
  if (problem !== undefined) step.problem = problem;
  if (view !== undefined) step.view = view;
  if (event !== undefined) step.event = event;
  if (recorded.metadata.commandId !== undefined) step.commandId = recorded.metadata.commandId;
  return step;
};

/**
 * One pass over the events: folds each and records a step for each event of a stream shown. `fixed` names the
 * streams shown; without it they are learnt on the way (`found`), and `missed` tells whether a stream joined after
 * some of its events had been folded unshown, in which case the caller replays again with the streams now known
 * (rare: a machine launched for one job whose runner another job took). Events come in batches (an await per batch,
 * not per event); no state is copied per step unless `verbose`.
 */
const fold = async (
  events: ReplayEvents,
  options: ReplayOptions,
  scope: { readonly fixed: ReadonlySet<string> | 'all' } | { readonly found: ScopeDiscovery },
): Promise<{ readonly result: ReplayResult; readonly missed: boolean }> => {
  const react = options.react ?? realReact;
  const models = new ReadModels(options.settings ?? { defaultBackend: 'ec2' }, { trackChanges: false });
  const fixed = 'fixed' in scope ? scope.fixed : undefined;
  const found = 'found' in scope ? scope.found : undefined;
  const shownStreams = fixed ?? found?.streams;
  const { until, verbose } = options;
  const steps: ReplayStep[] = [];
  const streams = new Set<string>();
  const clock = new StepClock();
  let folded = 0;
  let missed = false;
  let past = false;
  const derived = new Set<string>();
  const order = options.causalTies === true ? new CausalOrder(derived) : undefined;
  const hadEvents = (streamId: string) => models.cursor(streamId) > 0 || models.quarantined.has(streamId);
  const learn = (recorded: RecordedEvent, decoded: Decoded) => {
    if (found?.relevant(recorded) === true)
      for (const streamId of found.add(recorded, decoded)) if (hadEvents(streamId)) missed = true;
  };

  /** Folds one event; false once past `until` with nothing more to learn. */
  const step = (recorded: RecordedEvent): boolean => {
    if (past || (until !== undefined && recorded.metadata.at > until)) {
      past = true;
      // Past `until`, a pass that learns its streams reads on: a later event may name a stream with earlier events.
      if (found?.readsPastUntil !== true) return false;
      if (found.relevant(recorded)) learn(recorded, decodeRecorded(recorded));
      return true;
    }
    folded += 1;
    const decoded = decodeRecorded(recorded);
    learn(recorded, decoded);
    const result = foldEvent(models, react, recorded, decoded);
    if (order !== undefined) for (const command of result.commands) derived.add(command.commandId);
    if (shownStreams !== 'all' && shownStreams?.has(recorded.streamId) !== true) return true;
    streams.add(recorded.streamId);
    const view = verbose === true ? viewOf(models, recorded.streamId) : undefined;
    steps.push(stepOf(recorded, result, clock.since(recorded.metadata.at), view));
    return true;
  };
  const next =
    order === undefined
      ? step
      : (recorded: RecordedEvent) => {
          for (const ready of order.push(recorded)) if (!step(ready)) return false;
          return true;
        };

  reading: for await (const item of events())
    for (const recorded of isBatch(item) ? item : [item]) if (!next(recorded)) break reading;
  if (order !== undefined) for (const ready of order.drain()) if (!step(ready)) break;
  return { result: { steps, models, streams, folded }, missed };
};

export const replay = async (events: ReplayEvents, options: ReplayOptions): Promise<ReplayResult> => {
  const found = discovery(options.scope);
  if (found === 'all') return (await fold(events, options, { fixed: 'all' })).result;
  // One pass, learning the streams shown on the way; a second only when a stream was found too late.
  const first = await fold(events, options, { found });
  const final = found.final();
  if (final.size === 0) return { ...first.result, steps: [], streams: new Set() };
  return first.missed ? (await fold(events, options, { fixed: final })).result : first.result;
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
