import type { CommandBus } from '../../domain/ports/command-bus.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import { resume } from '../../domain/process/resume.js';
import { ReadModels } from '../../projections/read-models.js';
import type { ViewStore } from '../../projections/view-store.js';
import { VIEW_KINDS } from './store-composition.js';

/** The active views of every kind, as read models (what `resume` runs over on a store several replicas share). */
export const loadActiveModels = async (views: ViewStore, settings: ProcessSettings): Promise<ReadModels> => {
  const models = new ReadModels(settings);
  for (const kind of VIEW_KINDS) for await (const view of views.list(kind, { activeOnly: true })) models.load([view]);
  models.takeChanges();

  return models;
};

export interface LeaseResumeDeps {
  readonly views: ViewStore;
  readonly settings: ProcessSettings;
  readonly bus: CommandBus;
  readonly now: () => string;
  readonly onResumed: (commands: number) => void;
  readonly onError: (error: unknown) => void;
}

export interface LeaseResume {
  /** Asks for a resume; one runs at a time, and requests made meanwhile are served by one more run. */
  request(): void;
  /** Resolves when no resume is running. */
  idle(): Promise<void>;
}

/**
 * `resume` by whoever takes a shard lease, at start or over from another replica. The replica that held it may have
 * died between deciding a command and recording its effect (a launch claimed but not carried out, say); the cause is
 * behind its checkpoint, so the records read from there never bring the command back, and the dead replica's own
 * restart (if it comes) may hold no lease. Re-deriving what is still to be done over the views as they stand is safe
 * to repeat: every rule checks that its effect is not recorded, and every executor is idempotent by commandId. It
 * runs in the background so the lease is renewed meanwhile.
 */
export const createLeaseResume = (deps: LeaseResumeDeps): LeaseResume => {
  let running: Promise<void> | null = null;
  let again = false;

  const once = async (): Promise<void> => {
    const models = await loadActiveModels(deps.views, deps.settings);
    const commands = resume(models, models, deps.now());
    if (commands.length > 0) await deps.bus.dispatch(commands);
    deps.onResumed(commands.length);
  };

  const loop = async (): Promise<void> => {
    do {
      again = false;
      await once().catch(deps.onError);
    } while (again);
    running = null;
  };

  return {
    request: () => {
      if (running !== null) {
        again = true;

        return;
      }
      running = loop();
    },
    idle: () => running ?? Promise.resolve(),
  };
};
