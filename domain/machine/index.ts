export * from './launch-request.js';
export * from './machine-state.js';
export * from './machine-decide.js';
