export * from './job-state.js';
export * from './job-decide.js';
