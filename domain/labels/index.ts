export { compileAliases, resolveAlias } from './aliases.js';
export type { AliasConfigError, AliasRule, LiteralAliasRule, RegexAliasRule } from './aliases.js';
export { Backend, JobSpec } from './job-spec.js';
export { findMarker, parseMarker } from './marker.js';
export type { Marker } from './marker.js';
export { parseJobLabels } from './parse-job-labels.js';
export { LabelRejection, LabelRejectionCode, invalidLabel, noMatchingInstanceTypes, notOurs } from './rejection.js';
export { parseSpec } from './spec-segments.js';
export type { ParsedSpec } from './spec-segments.js';
