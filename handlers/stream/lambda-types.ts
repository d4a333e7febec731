/**
 * The few Lambda types the stream handler needs (`@types/aws-lambda` is not a dependency). Shapes as AWS documents
 * them for DynamoDB Streams event sources with `FunctionResponseTypes: ["ReportBatchItemFailures"]`.
 */

/** An attribute value as JSON (`{ "S": "…" }`, `{ "N": "1" }`, `{ "M": {…} }`, …). */
export type LambdaAttributeValue = Record<string, unknown>;

export interface DynamoDBStreamRecordBody {
  readonly ApproximateCreationDateTime?: number;
  readonly Keys?: Record<string, LambdaAttributeValue>;
  readonly NewImage?: Record<string, LambdaAttributeValue>;
  readonly OldImage?: Record<string, LambdaAttributeValue>;
  readonly SequenceNumber?: string;
  readonly SizeBytes?: number;
  readonly StreamViewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
}

export interface DynamoDBRecord {
  readonly eventID?: string;
  readonly eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventVersion?: string;
  readonly eventSource?: string;
  readonly awsRegion?: string;
  readonly eventSourceARN?: string;
  readonly dynamodb?: DynamoDBStreamRecordBody;
}

export interface DynamoDBStreamEvent {
  readonly Records: ReadonlyArray<DynamoDBRecord>;
}

export interface DynamoDBBatchItemFailure {
  /** The record's `dynamodb.SequenceNumber`. */
  readonly itemIdentifier: string;
}

export interface DynamoDBBatchResponse {
  readonly batchItemFailures: ReadonlyArray<DynamoDBBatchItemFailure>;
}
