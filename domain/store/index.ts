export * from './event-store.js';
export * from './store-guards.js';
export * from './change-feed.js';
export * from './checkpoint-store.js';
export * from './replay-marker.js';
export * from './dead-letter-store.js';
