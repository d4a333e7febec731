import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The views table (DESIGN section 2, the read-model port): one item per view. `infra/` Terraform and the tests use
 * these names; change them only together.
 *
 * Keyed (kind, id) so that `list(kind)` is a Query on one partition, never a Scan. The price: all views of a kind
 * share a partition key, so one kind takes at most ~1,000 writes/s before DynamoDB splits the partition by sort-key
 * range (it does that for a hot partition of a table with a sort key); far above what a fleet's job rate needs.
 */

/** Partition key (S): the view kind, `job`, `machine`, `pool`, `runner-use`, `breaker`. */
export const VIEWS_TABLE_PK = 'kind';
/** Sort key (S): the view id within its kind (a GitHub job id, a machine id, a pool name, an instance type). */
export const VIEWS_TABLE_SK = 'id';

/** Item attributes beside the keys. */
export const VIEW_ATTRIBUTES = {
  /** N: the version the view is at; every write is conditional on it. */
  version: 'version',
  /** BOOL: whether the entity can still cause work. */
  active: 'active',
  /** Any type (a map for most views): the view itself, absent when undefined. */
  body: 'body',
  /** S, the kind again, written ONLY while the view is active: that makes the active index sparse. */
  activeKind: 'activeKind',
} as const;

/**
 * Sparse GSI of the active views of a kind: HASH activeKind, RANGE id, ALL attributes projected (so
 * `list(kind, { activeOnly: true })` is one paginated Query with no follow-up reads). Like every GSI it is eventually
 * consistent: a view that just changed may show its old activity for a moment.
 */
export const ACTIVE_VIEWS_INDEX = 'active-views';
export const ACTIVE_VIEWS_PK = VIEW_ATTRIBUTES.activeKind;
export const ACTIVE_VIEWS_SK = VIEWS_TABLE_SK;

/** CreateTable input: on demand, the sparse active index, no stream (views are derived, the events are the truth). */
export const createViewsTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: VIEWS_TABLE_PK, AttributeType: 'S' },
    { AttributeName: VIEWS_TABLE_SK, AttributeType: 'S' },
    { AttributeName: ACTIVE_VIEWS_PK, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: VIEWS_TABLE_PK, KeyType: 'HASH' },
    { AttributeName: VIEWS_TABLE_SK, KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: ACTIVE_VIEWS_INDEX,
      KeySchema: [
        { AttributeName: ACTIVE_VIEWS_PK, KeyType: 'HASH' },
        { AttributeName: ACTIVE_VIEWS_SK, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
});
