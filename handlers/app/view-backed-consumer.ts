import type { CommandBus } from '../../domain/ports/command-bus.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import type { EventStore, RecordedEvent } from '../../domain/store/event-store.js';
import { ReadModels } from '../../projections/read-models.js';
import { referencedKeys } from '../../projections/view-references.js';
import type { ViewStore } from '../../projections/view-store.js';
import { createPipeline, type HandleOutcome, type PipelineHooks } from './pipeline.js';

/**
 * The consumer for stateless hosts (the Lambda stream handler, several `serve` replicas): for each record, load the
 * views it needs from the view store, run the shared pipeline, and write the changed views back conditionally. A
 * lost write race is transient: the record is retried and folds onto the winner's views.
 */
export class ViewWriteConflictError extends Error {
  constructor(readonly conflicts: number) {
    super(`${conflicts} view write(s) lost a race; retry the record`);
  }
}

const MAX_REFERENCE_ROUNDS = 4;

export interface ViewBackedConsumer {
  handle(recorded: RecordedEvent): Promise<HandleOutcome>;
}

export const createViewBackedConsumer = (deps: {
  readonly store: EventStore;
  readonly views: ViewStore;
  readonly bus: CommandBus;
  readonly settings: ProcessSettings;
  readonly hooks?: PipelineHooks;
}): ViewBackedConsumer => {
  const handle = async (recorded: RecordedEvent): Promise<HandleOutcome> => {
    const models = new ReadModels(deps.settings);
    const loaded = new Set<string>();
    for (let round = 0; round < MAX_REFERENCE_ROUNDS; round += 1) {
      const wanted = referencedKeys(models, recorded).filter((key) => !loaded.has(`${key.kind}#${key.id}`));
      if (wanted.length === 0) break;
      for (const key of wanted) loaded.add(`${key.kind}#${key.id}`);
      for (const kind of new Set(wanted.map((key) => key.kind))) {
        const ids = wanted.filter((key) => key.kind === kind).map((key) => key.id);
        models.load(await deps.views.get(kind, ids));
      }
    }
    const behind = models.cursor(recorded.streamId);
    if (recorded.version > behind + 1) {
      // A gap: fold the missing events first, each with the views it needs, so none is applied half-informed.
      const missing = await deps.store.read(recorded.streamId, { fromVersion: behind + 1 });
      for (const event of missing.filter((e) => e.version < recorded.version)) await handle(event);

      return handle(recorded);
    }
    const outcome = await createPipeline(deps.store, models, deps.bus, deps.hooks).handle(recorded);
    const conflicts = await deps.views.put(models.takeChanges());
    if (conflicts.length > 0) throw new ViewWriteConflictError(conflicts.length);

    return outcome;
  };

  return { handle };
};
