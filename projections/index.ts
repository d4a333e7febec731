export * from './stream-cursor.js';
export * from './job-view.js';
export * from './machine-view.js';
export * from './pool-view.js';
export * from './read-models.js';
