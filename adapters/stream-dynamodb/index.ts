export { createStreamPoller } from './stream-poller.js';
export type { StreamPoller, StreamPollerOptions } from './stream-poller.js';
export {
  LEASE_ATTRIBUTES,
  LEASE_TABLE_PK,
  LEASE_TABLE_SK,
  OWNER_ITEM_PREFIX,
  createLeaseTableInput,
} from './lease-table.js';
export { LeaseLostError, createLeaseStore } from './lease-store.js';
export type { HeldLease, LeaseSnapshot, LeaseStore, ShardLease } from './lease-store.js';
export { eligibleShards, planShards } from './shard-plan.js';
export type { Plan, PlanInput, ShardInfo } from './shard-plan.js';
export { isIgnorableRecord, processStreamPage, processStreamRecord } from './record-processor.js';
export type {
  DecodeStreamRecord,
  IdentifyStreamRecord,
  RecordOutcome,
  RecordProcessorDeps,
  StreamRecordDecodeFailure,
} from './record-processor.js';
export type { StreamLogger } from './sleep.js';
