import * as E from 'fp-ts/lib/Either.js';
import { decodeRecorded } from '../../domain/events/domain-event.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import type { StreamCategory } from '../../domain/shared/ids.js';
import type { EventStore, RecordedEvent } from '../../domain/store/event-store.js';
import { ReadModels, type Quarantine } from '../../projections/read-models.js';
import type { ViewStore } from '../../projections/view-store.js';

/**
 * Rebuilds the read models from the table alone (DESIGN section 2): every stream listed through the first-event index
 * and read in full, never the change feed or DynamoDB Streams, whose retention (24 hours) would silently drop history.
 * A stream that cannot be folded (an undecodable record, an unknown type, a hole in its versions) is quarantined,
 * counted and reported; the others still rebuild.
 */
export const REBUILD_CATEGORIES: ReadonlyArray<StreamCategory> = ['job', 'machine', 'pool'];

export interface RebuildProgress {
  readonly category: StreamCategory;
  readonly streams: number;
  readonly events: number;
}

export interface RebuildOptions {
  readonly store: EventStore;
  readonly settings: ProcessSettings;
  /** When given, every rebuilt view is written to it (conditionally: a view already there is a conflict). */
  readonly views?: ViewStore;
  /** Called every `progressEvery` streams and after each category. */
  readonly onProgress?: (progress: RebuildProgress) => void;
  readonly progressEvery?: number;
}

export interface RebuildResult {
  readonly models: ReadModels;
  readonly streams: Readonly<Record<StreamCategory, number>>;
  readonly events: number;
  readonly quarantined: ReadonlyArray<Quarantine>;
  /** Views not written because the view store already held a different version (0 without a view store). */
  readonly viewConflicts: number;
  readonly elapsedMs: number;
}

/** Why a stream read in full could not be folded, or null when every event applied. */
const foldStream = (models: ReadModels, events: ReadonlyArray<RecordedEvent>): Quarantine | null => {
  for (const recorded of events) {
    const { streamId, version } = recorded;
    const decoded = decodeRecorded(recorded);
    if (E.isLeft(decoded)) {
      const failure = decoded.left;
      const reason = failure.kind === 'UnknownEventType' ? `unknown event type ${failure.type}` : failure.reason;
      return { streamId, version, reason };
    }
    const outcome = models.apply(decoded.right);
    if (outcome.kind !== 'apply') return { streamId, version, reason: `version ${String(version)}: ${outcome.kind}` };
  }
  return null;
};

/** Stream ids of a category, sorted: `listStreams` promises no order, and the rebuild must not depend on it. */
const sortedStreams = async (store: EventStore, category: StreamCategory): Promise<string[]> => {
  const ids: string[] = [];
  for await (const id of store.listStreams(category)) ids.push(id);
  return ids.sort();
};

export const rebuildReadModels = async (options: RebuildOptions): Promise<RebuildResult> => {
  const started = performance.now();
  const { store, onProgress } = options;
  const every = options.progressEvery ?? 100;
  const models = new ReadModels(options.settings);
  const streams: Record<StreamCategory, number> = { job: 0, machine: 0, pool: 0 };
  let events = 0;
  for (const category of REBUILD_CATEGORIES) {
    for (const streamId of await sortedStreams(store, category)) {
      const history = await store.read(streamId);
      events += history.length;
      streams[category] += 1;
      const quarantine = foldStream(models, history);
      if (quarantine !== null) models.quarantine(quarantine);
      if (streams[category] % every === 0) onProgress?.({ category, streams: streams[category], events });
    }
    onProgress?.({ category, streams: streams[category], events });
  }
  const conflicts = options.views === undefined ? [] : await options.views.put(models.takeChanges());
  return {
    models,
    streams,
    events,
    quarantined: [...models.quarantined.values()],
    viewConflicts: conflicts.length,
    elapsedMs: performance.now() - started,
  };
};
