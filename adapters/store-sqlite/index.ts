export { openSqliteEventStore } from './sqlite-event-store.js';
export type { SqliteEventStore, SqliteEventStoreOptions } from './sqlite-event-store.js';
export type { GroupCommitStats } from './group-commit.js';
