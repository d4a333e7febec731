import { DEFAULT_HOUSEKEEPING_SETTINGS, type HousekeepingViews } from '../../domain/housekeeping/index.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { GithubPort } from '../../domain/ports/github.js';
import type { ProcessSettings } from '../../domain/process/process-views.js';
import type { EventStore } from '../../domain/store/event-store.js';
import type { ReadModels } from '../../projections/read-models.js';
import type { ViewStore } from '../../projections/view-store.js';
import type { HousekeepingLogger } from './deps.js';
import { startHousekeeping, type HousekeepingTimers } from './timers.js';
import { loadViewModels } from './view-models.js';

/**
 * Housekeeping as `runs-fleet serve` runs it: the embedded store's live read models, or, on DynamoDB (several
 * replicas, no models held in memory), the view table loaded at each run.
 */
export interface ServeHousekeepingInput {
  readonly enabled: boolean;
  readonly orphanGraceMinutes: number;
  readonly store: EventStore;
  readonly compute: ComputePort;
  readonly github: GithubPort;
  readonly models: ReadModels;
  /** Present on DynamoDB: the shared view table is the truth there. */
  readonly viewStore?: ViewStore;
  readonly processSettings: ProcessSettings;
  readonly now: () => string;
  readonly logger: HousekeepingLogger;
}

export const startServeHousekeeping = (input: ServeHousekeepingInput): HousekeepingTimers | null => {
  if (!input.enabled) {
    input.logger.warn({}, 'housekeeping is off: orphans, ghost runners and stale jobs are not swept');

    return null;
  }
  const { viewStore } = input;
  const views = async (): Promise<HousekeepingViews> =>
    viewStore === undefined ? input.models : loadViewModels(viewStore, input.processSettings);

  return startHousekeeping({
    store: input.store,
    compute: input.compute,
    github: input.github,
    views,
    now: input.now,
    settings: { ...DEFAULT_HOUSEKEEPING_SETTINGS, orphanGraceMinutes: input.orphanGraceMinutes },
    logger: input.logger,
  });
};
