export { createMemoryDeadLetterStore } from './memory-dead-letter-store.js';
export { DEAD_LETTERS_TABLE, createSqliteDeadLetterStore } from './sqlite-dead-letter-store.js';
export {
  DEAD_LETTER_ATTRIBUTES,
  DEAD_LETTER_TABLE_PK,
  MAX_RAW_BYTES,
  createDeadLetterTableInput,
  createDynamoDbDeadLetterStore,
} from './dynamodb-dead-letter-store.js';
export type { DynamoDbDeadLetterStoreOptions } from './dynamodb-dead-letter-store.js';
