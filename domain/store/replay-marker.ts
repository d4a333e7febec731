/**
 * Marks a store as a replay target (DESIGN section 6): `events import` writes only into an empty store or one marked
 * replay-only, never into a store a running orchestrator consumes.
 */
export interface ReplayMarker {
  markReplayOnly(): Promise<void>;
  isReplayOnly(): Promise<boolean>;
}
