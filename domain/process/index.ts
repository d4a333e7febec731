export * from './process-views.js';
export * from './command-builders.js';
export * from './react.js';
export * from './resume.js';
export { isNeeded, VANISHED } from './rules.js';
