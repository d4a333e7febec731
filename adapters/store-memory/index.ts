export { createMemoryEventStore } from './memory-event-store.js';
export type { MemoryEventStore } from './memory-event-store.js';
export { createMemoryCheckpointStore } from './memory-checkpoint-store.js';
