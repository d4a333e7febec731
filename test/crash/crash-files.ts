import type { ProcessSettings } from '../../domain/process/process-views.js';

/** What the crash test's parent and child agree on: settings, and the files beside the database. */
export const CRASH_SETTINGS: ProcessSettings = { defaultBackend: 'ec2' };
/** The child's final read models (`ReadModels.snapshot()`), written once it is quiet. */
export const snapshotPathFor = (dbPath: string): string => `${dbPath}.snapshot.json`;
/** The cloud's machines, so `findByCommandId` answers across restarts. */
export const cloudStatePathFor = (dbPath: string): string => `${dbPath}.cloud.json`;
