export * from './memory-view-store.js';
