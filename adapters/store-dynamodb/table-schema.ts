import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The events table (DESIGN section 2): one item per event. `infra/` Terraform and the tests use these names; change
 * them only together.
 */

/** Partition key (S): `job#<githubJobId>`, `machine#<machineId>`, `pool#<name>`. */
export const EVENTS_TABLE_PK = 'streamId';
/** Sort key (N): 1, 2, 3, … */
export const EVENTS_TABLE_SK = 'version';

/** Item attributes beside the keys. */
export const EVENT_ATTRIBUTES = {
  type: 'type',
  data: 'data',
  metadata: 'metadata',
  /** `metadata.at` again, top level, for scans and TTL tooling. */
  at: 'at',
  /** Written ONLY on version-1 items, which makes the category index sparse. */
  category: 'category',
} as const;

/** Sparse GSI listing the streams of a category from their first events: HASH category, RANGE streamId, KEYS_ONLY. */
export const STREAMS_BY_CATEGORY_INDEX = 'streams-by-category';
export const STREAMS_BY_CATEGORY_PK = EVENT_ATTRIBUTES.category;
export const STREAMS_BY_CATEGORY_SK = EVENTS_TABLE_PK;

/** `job#42` → `job`; a stream id without `#` is its own category. */
export const categoryOf = (streamId: string): string => {
  const hash = streamId.indexOf('#');

  return hash < 0 ? streamId : streamId.slice(0, hash);
};

/** CreateTable input: on demand, stream with NEW_IMAGE, the sparse category index. `infra/` mirrors it. */
export const createEventsTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: EVENTS_TABLE_PK, AttributeType: 'S' },
    { AttributeName: EVENTS_TABLE_SK, AttributeType: 'N' },
    { AttributeName: STREAMS_BY_CATEGORY_PK, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: EVENTS_TABLE_PK, KeyType: 'HASH' },
    { AttributeName: EVENTS_TABLE_SK, KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: STREAMS_BY_CATEGORY_INDEX,
      KeySchema: [
        { AttributeName: STREAMS_BY_CATEGORY_PK, KeyType: 'HASH' },
        { AttributeName: STREAMS_BY_CATEGORY_SK, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ],
  StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
});
