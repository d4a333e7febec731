export { createStreamHandler } from './lambda-stream-handler.js';
export type { StreamHandlerDeps } from './lambda-stream-handler.js';
export type {
  DynamoDBBatchItemFailure,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  DynamoDBStreamRecordBody,
} from './lambda-types.js';
export { identifyStreamRecord } from './identify-stream-record.js';
export { createDynamoDbStreamConsumer, latestStreamArn } from './dynamodb-stream-consumer.js';
