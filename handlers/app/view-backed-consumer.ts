import type { CommandBus } from '../../domain/ports/command-bus.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import type { EventStore, RecordedEvent } from '../../domain/store/event-store.js';
import { ReadModels } from '../../projections/read-models.js';
import { referencedKeys, type ViewKey } from '../../projections/view-references.js';
import type { StoredView, ViewKind, ViewStore, ViewWrite } from '../../projections/view-store.js';
import { createPipeline, type HandleOutcome, type PipelineHooks } from './pipeline.js';

/**
 * The consumer for stateless hosts (the Lambda stream handler, several `serve` replicas): load the views the records
 * need from the view store, run the shared pipeline, and write the changed views back conditionally. A lost write
 * race is transient: the records are retried and fold onto the winner's views.
 *
 * `handleBatch` folds several records (a page of the stream, in stream order) through ONE set of read models: every
 * view is read once per batch (all the records' references together, one request per view kind and round) and
 * written once per batch, instead of once per record; the records are still applied one after the other, in the
 * order given, exactly as one record after another would be. Nothing is kept between batches: each reads the views
 * afresh, so another replica's writes are never hidden by a cache.
 *
 * Writes go in two steps, so that a crash or a lost race between them can never lose an update: first the indexes
 * that fold many streams idempotently (runner-use, pool-claim, breaker), then the job, machine and pool views, which
 * carry their stream's version guard. Until the second step lands the records count as not applied, and folding them
 * again onto indexes that already hold them changes nothing.
 */
export class ViewWriteConflictError extends Error {
  constructor(readonly conflicts: number) {
    super(`${conflicts} view write(s) lost a race; retry the record`);
  }
}

const MAX_REFERENCE_ROUNDS = 4;
/** Rehearsals of a batch's fold, each following references one step further. */
const MAX_REHEARSALS = 3;
const DROP_COMMANDS: CommandBus = { dispatch: async () => undefined };

/** Views whose version is their source stream's cursor: written last. */
const GUARDED: ReadonlySet<ViewKind> = new Set<ViewKind>(['job', 'machine', 'pool']);

export interface ViewBackedConsumer {
  handle(recorded: RecordedEvent): Promise<HandleOutcome>;
  /** The records in the order given (a stream's records in version order); one outcome per record. */
  handleBatch(records: ReadonlyArray<RecordedEvent>): Promise<ReadonlyArray<HandleOutcome>>;
}

const keyOf = (key: ViewKey): string => `${key.kind}#${key.id}`;

export const createViewBackedConsumer = (deps: {
  readonly store: EventStore;
  readonly views: ViewStore;
  readonly bus: CommandBus;
  readonly settings: ProcessSettings;
  readonly hooks?: PipelineHooks;
}): ViewBackedConsumer => {
  const write = async (writes: ReadonlyArray<ViewWrite>): Promise<void> => {
    if (writes.length === 0) return;
    const conflicts = await deps.views.put(writes);
    if (conflicts.length > 0) throw new ViewWriteConflictError(conflicts.length);
  };

  const handleBatch = async (records: ReadonlyArray<RecordedEvent>): Promise<ReadonlyArray<HandleOutcome>> => {
    const models = new ReadModels(deps.settings);
    const pipeline = createPipeline(deps.store, models, deps.bus, deps.hooks);
    // Asked for once per batch, found or not: what a record of this batch changed lives in `models` from then on.
    const loaded = new Set<string>();
    const fetched: StoredView[] = [];

    /** Loads the views among `keys` not asked for yet, one request per kind, all at once; false when none. */
    const load = async (keys: ReadonlyArray<ViewKey>): Promise<boolean> => {
      const byKind = new Map<ViewKind, string[]>();
      for (const key of keys) {
        const id = keyOf(key);
        if (loaded.has(id)) continue;
        loaded.add(id);
        byKind.set(key.kind, [...(byKind.get(key.kind) ?? []), key.id]);
      }
      if (byKind.size === 0) return false;
      const found = await Promise.all([...byKind].map(([kind, ids]) => deps.views.get(kind, ids)));
      for (const views of found) {
        models.load(views);
        fetched.push(...views);
      }

      return true;
    };

    /** Each round follows what the previous one loaded points at (a job's machine, a machine's job, …). */
    const loadReferences = async (batch: ReadonlyArray<RecordedEvent>): Promise<void> => {
      for (let round = 0; round < MAX_REFERENCE_ROUNDS; round += 1) {
        if (!(await load(batch.flatMap((recorded) => referencedKeys(models, recorded))))) return;
      }
    };

    /**
     * What the records will point at once the records before them are applied (a job's new machine, a pool's new
     * member) cannot be read off the stored views. A rehearsal folds the batch on a copy of what was read, with no
     * command dispatched and no hook told, collecting the views it needed and nobody asked for; they are read all at
     * once and the rehearsal runs again. Without it each of those records would wait for its own round trip.
     */
    const rehearse = async (): Promise<void> => {
      for (let pass = 0; pass < MAX_REHEARSALS; pass += 1) {
        const trial = new ReadModels(deps.settings, { trackChanges: false });
        trial.load(fetched);
        const dryRun = createPipeline(deps.store, trial, DROP_COMMANDS);
        const wanted: ViewKey[] = [];
        for (const recorded of records) {
          wanted.push(...referencedKeys(trial, recorded).filter((key) => !loaded.has(keyOf(key))));
          // A gap is read from the store by the real fold only.
          if (recorded.version === trial.cursor(recorded.streamId) + 1) await dryRun.handle(recorded);
        }
        if (!(await load(wanted))) return;
      }
    };

    const fold = async (recorded: RecordedEvent): Promise<HandleOutcome> => {
      // Earlier records of the batch may have made this one point at views nobody asked for yet.
      await loadReferences([recorded]);
      const behind = models.cursor(recorded.streamId);
      if (recorded.version > behind + 1) {
        // A gap: fold the missing events first, each with the views it needs, so none is applied half-informed.
        const missing = await deps.store.read(recorded.streamId, { fromVersion: behind + 1 });
        for (const event of missing.filter((e) => e.version < recorded.version)) await fold(event);
        // Straight to the pipeline: should a missing event be quarantined, it answers so instead of re-reading.
        await loadReferences([recorded]);
      }

      return pipeline.handle(recorded);
    };

    await loadReferences(records);
    // A record alone loads what it finds it needs as it goes: the same round trips, without a rehearsal.
    if (records.length > 1) await rehearse();
    const outcomes: HandleOutcome[] = [];
    for (const recorded of records) outcomes.push(await fold(recorded));
    const changes = models.takeChanges();
    await write(changes.filter((w) => !GUARDED.has(w.view.kind)));
    await write(changes.filter((w) => GUARDED.has(w.view.kind)));

    return outcomes;
  };

  return {
    handle: async (recorded) => (await handleBatch([recorded]))[0] ?? 'duplicate',
    handleBatch,
  };
};
