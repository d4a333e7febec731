export { createDynamoDbViewStore } from './dynamodb-view-store.js';
export type { DynamoDbViewStoreOptions } from './dynamodb-view-store.js';
export { decodeViewItem, toViewItem } from './view-item.js';
export {
  ACTIVE_VIEWS_INDEX,
  ACTIVE_VIEWS_PK,
  ACTIVE_VIEWS_SK,
  VIEWS_TABLE_PK,
  VIEWS_TABLE_SK,
  VIEW_ATTRIBUTES,
  createViewsTableInput,
} from './table-schema.js';
