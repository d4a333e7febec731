export {
  createSqsCommandBus,
  toBatchEntry,
  toBatches,
  SqsDispatchError,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
} from './sqs-command-bus.js';
export type { SqsCommandBusOptions } from './sqs-command-bus.js';
export { createSqsWorker, backoffSeconds } from './sqs-worker.js';
export type { BusLogger, SqsWorker, SqsWorkerOptions } from './sqs-worker.js';
export { createQueues, createQueuesInput, COMMAND_QUEUE_DEFAULTS } from './queues.js';
export type { CommandQueueOptions, CommandQueues, CommandQueuesInput } from './queues.js';
export {
  decodeCommandMessage,
  encodeCommandMessage,
  messageDeduplicationId,
  messageGroupId,
  sqsId,
} from './message.js';
