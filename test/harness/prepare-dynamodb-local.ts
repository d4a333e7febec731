/** `.ci/prepare` step: fetch DynamoDB Local into the cache so the first test run does not pay for it. */
import { ensureDynamoDbLocal } from './dynamodb-local.js';

const { dir, built: fetched, ms } = await ensureDynamoDbLocal();
process.stdout.write(
  `dynamodb-local: ${fetched ? `fetched into ${dir} in ${(ms / 1000).toFixed(1)} s` : `cached at ${dir}`}\n`,
);
