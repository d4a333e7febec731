export { openSqliteViewStore } from './sqlite-view-store.js';
export type { SqliteViewStore, SqliteViewStoreOptions } from './sqlite-view-store.js';
