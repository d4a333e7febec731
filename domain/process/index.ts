export * from './process-views.js';
export * from './command-builders.js';
export * from './react.js';
export * from './resume.js';
export { isNeeded } from './rules.js';
