import { CreateQueueCommand, GetQueueAttributesCommand, type CreateQueueCommandInput } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The command queue (SPEC section 9, DESIGN section 6): SQS FIFO, message group = the command's target stream,
 * deduplication id = the commandId, a FIFO dead-letter queue after `maxReceiveCount` receives. `infra/` Terraform
 * mirrors these attributes.
 */
export interface CommandQueueOptions {
  /** Receives before SQS moves a message to the dead-letter queue (SPEC: 3). */
  readonly maxReceiveCount?: number;
  /** Default visibility timeout of the main queue; the worker also sets it on every receive (SPEC: 120 s). */
  readonly visibilityTimeoutSeconds?: number;
}

export const COMMAND_QUEUE_DEFAULTS = { maxReceiveCount: 3, visibilityTimeoutSeconds: 120 } as const;

const FOUR_DAYS = 4 * 24 * 3600;
const FOURTEEN_DAYS = 14 * 24 * 3600;

export interface CommandQueuesInput {
  /** `<name>-dlq.fifo`: created first, its ARN goes into the main queue's redrive policy. */
  readonly deadLetter: CreateQueueCommandInput;
  /** `<name>.fifo`, with the redrive policy pointing at the dead-letter queue's ARN. */
  main(deadLetterArn: string): CreateQueueCommandInput;
}

/** FIFO queue names: letters, digits, `-` and `_`, at most 80 characters with the `.fifo` suffix. */
const checkName = (name: string): void => {
  if (!/^[a-zA-Z0-9_-]{1,71}$/.test(name)) {
    throw new Error(`command queue name ${JSON.stringify(name)}: 1-71 of [a-zA-Z0-9_-] (it gets "-dlq.fifo")`);
  }
};

/**
 * CreateQueue inputs for the command queue `<name>.fifo` and its dead-letter queue `<name>-dlq.fifo`. Deduplication is
 * by explicit id (the commandId, never the body), scoped per message group with per-group throughput (FIFO high
 * throughput: groups are independent streams, so the queue scales with them).
 */
export const createQueuesInput = (name: string, options: CommandQueueOptions = {}): CommandQueuesInput => {
  checkName(name);
  const { maxReceiveCount, visibilityTimeoutSeconds } = { ...COMMAND_QUEUE_DEFAULTS, ...options };
  const fifo = {
    FifoQueue: 'true',
    ContentBasedDeduplication: 'false',
    DeduplicationScope: 'messageGroup',
    FifoThroughputLimit: 'perMessageGroupId',
  };

  return {
    deadLetter: {
      QueueName: `${name}-dlq.fifo`,
      Attributes: { ...fifo, MessageRetentionPeriod: String(FOURTEEN_DAYS) },
    },
    main: (deadLetterArn) => ({
      QueueName: `${name}.fifo`,
      Attributes: {
        ...fifo,
        MessageRetentionPeriod: String(FOUR_DAYS),
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount }),
      },
    }),
  };
};

export interface CommandQueues {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
}

/** Creates (or finds, CreateQueue being idempotent for equal attributes) the command queue and its dead-letter queue. */
export const createQueues = async (
  client: SQSClient,
  name: string,
  options: CommandQueueOptions = {},
): Promise<CommandQueues> => {
  const input = createQueuesInput(name, options);
  const dlq = await client.send(new CreateQueueCommand(input.deadLetter));
  if (!dlq.QueueUrl) throw new Error(`CreateQueue ${input.deadLetter.QueueName} returned no QueueUrl`);
  const attrs = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const deadLetterQueueArn = attrs.Attributes?.['QueueArn'];
  if (!deadLetterQueueArn) throw new Error(`GetQueueAttributes ${dlq.QueueUrl} returned no QueueArn`);
  const main = await client.send(new CreateQueueCommand(input.main(deadLetterQueueArn)));
  if (!main.QueueUrl) throw new Error(`CreateQueue ${name}.fifo returned no QueueUrl`);

  return { queueUrl: main.QueueUrl, deadLetterQueueUrl: dlq.QueueUrl, deadLetterQueueArn };
};
