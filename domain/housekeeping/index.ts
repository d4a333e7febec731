export { DEFAULT_HOUSEKEEPING_SETTINGS } from './settings.js';
export type { HousekeepingSettings } from './settings.js';
export { latest, withFresh } from './views.js';
export type { HousekeepingViews, JobFacts, MachineFacts, PoolFacts } from './views.js';
export { keep } from './verdict.js';
export type { Keep } from './verdict.js';
export { unconfirmedVerdict } from './unconfirmed.js';
export type { UnconfirmedVerdict } from './unconfirmed.js';
export { orphanVerdict } from './orphans.js';
export type { OrphanVerdict } from './orphans.js';
export { ghostVerdict } from './ghost-runners.js';
export type { GhostVerdict } from './ghost-runners.js';
export { decideStaleJob, isStale, staleJobCandidates } from './stale-jobs.js';
export type { JobIdentity, StaleJobDecision } from './stale-jobs.js';
export {
  ghostDecision,
  ghostDeleted,
  HOUSEKEEPING_INTENT,
  isGhostDecisionFor,
  isOrphanDecision,
  isUnconfirmedFor,
  orphanDecision,
  planDecision,
  staleJobCausationId,
  unconfirmedDecision,
} from './decisions.js';
export type { DecisionPlan } from './decisions.js';
