/**
 * The fixed metric names of DESIGN section 7. A benchmark that measures one of these quantities uses the constant; any
 * other name is free (the runner only warns about a name that differs from a fixed one by case alone).
 */

/** events/s through the real CLI replay path; `baseline` = JSON.parse-only events/s (JSON_PARSE_THROUGHPUT). */
export const REPLAY_THROUGHPUT = 'replay.throughput';
/** ms, webhook acknowledgement latency at 200 webhooks/s. */
export const WEBHOOK_ACK_P50 = 'webhook.ack.p50';
export const WEBHOOK_ACK_P99 = 'webhook.ack.p99';
/** webhooks/s before the ack p99 passes 100 ms. */
export const WEBHOOK_MAX_RATE = 'webhook.max_rate';
/** ms, from a webhook's arrival to the first provisioning command leaving the decision. */
export const WEBHOOK_TO_COMMAND_P50_EMBEDDED = 'webhook_to_command.p50.embedded';
export const WEBHOOK_TO_COMMAND_P99_EMBEDDED = 'webhook_to_command.p99.embedded';
export const WEBHOOK_TO_COMMAND_P50_DYNAMODB_LOCAL = 'webhook_to_command.p50.dynamodb_local';
export const WEBHOOK_TO_COMMAND_P99_DYNAMODB_LOCAL = 'webhook_to_command.p99.dynamodb_local';
/** ms, from append to projected view. */
export const STREAM_LAG_P50_SQLITE = 'stream_lag.p50.sqlite';
export const STREAM_LAG_P99_SQLITE = 'stream_lag.p99.sqlite';
export const STREAM_LAG_P50_DYNAMODB_LOCAL = 'stream_lag.p50.dynamodb_local';
export const STREAM_LAG_P99_DYNAMODB_LOCAL = 'stream_lag.p99.dynamodb_local';
/** events/s. */
export const APPEND_THROUGHPUT_SQLITE = 'append.throughput.sqlite';
export const APPEND_THROUGHPUT_DYNAMODB_LOCAL = 'append.throughput.dynamodb_local';
export const APPEND_BATCH_THROUGHPUT_SQLITE = 'append.batch_throughput.sqlite';
export const APPEND_BATCH_THROUGHPUT_DYNAMODB_LOCAL = 'append.batch_throughput.dynamodb_local';
/** MiB. */
export const MEMORY_RSS_10K_JOBS = 'memory.rss.10k_jobs';
export const MEMORY_HEAP_10K_JOBS = 'memory.heap.10k_jobs';

export const FIXED_METRIC_NAMES: ReadonlyArray<string> = [
  REPLAY_THROUGHPUT,
  WEBHOOK_ACK_P50,
  WEBHOOK_ACK_P99,
  WEBHOOK_MAX_RATE,
  WEBHOOK_TO_COMMAND_P50_EMBEDDED,
  WEBHOOK_TO_COMMAND_P99_EMBEDDED,
  WEBHOOK_TO_COMMAND_P50_DYNAMODB_LOCAL,
  WEBHOOK_TO_COMMAND_P99_DYNAMODB_LOCAL,
  STREAM_LAG_P50_SQLITE,
  STREAM_LAG_P99_SQLITE,
  STREAM_LAG_P50_DYNAMODB_LOCAL,
  STREAM_LAG_P99_DYNAMODB_LOCAL,
  APPEND_THROUGHPUT_SQLITE,
  APPEND_THROUGHPUT_DYNAMODB_LOCAL,
  APPEND_BATCH_THROUGHPUT_SQLITE,
  APPEND_BATCH_THROUGHPUT_DYNAMODB_LOCAL,
  MEMORY_RSS_10K_JOBS,
  MEMORY_HEAP_10K_JOBS,
];

/** Not fixed by DESIGN, shared by benchmarks: JSON.parse-only events/s, the baseline of REPLAY_THROUGHPUT. */
export const JSON_PARSE_THROUGHPUT = 'json.parse.throughput';

/** The fixed name `name` differs from by letter case only, if any (e.g. `Replay.Throughput`). */
export const caseCollision = (name: string): string | undefined =>
  FIXED_METRIC_NAMES.find((fixed) => fixed !== name && fixed.toLowerCase() === name.toLowerCase());
