import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import type { Command } from '../../domain/commands/commands.js';
import type { CommandBus } from '../../domain/ports/command-bus.js';
import { encodeCommandMessage, messageDeduplicationId, messageGroupId } from './message.js';

/**
 * The command bus on SQS FIFO (DESIGN section 6): `dispatch` resolves once SQS has stored every command. Workers
 * (`createSqsWorker`, or a Lambda on the queue) carry them out, at least once.
 */
export interface SqsCommandBusOptions {
  readonly client: SQSClient;
  /** A FIFO queue (`….fifo`), as made by `createQueuesInput`. */
  readonly queueUrl: string;
  /** Tries per batch entry that SQS refused for its own reasons (throttling, internal errors). Default 3. */
  readonly maxAttempts?: number;
  /** Wait before the first retry, doubled each time. Default 100 ms. */
  readonly retryBaseMs?: number;
}

/** SQS's limits for one SendMessageBatch: 10 entries and 256 KiB of bodies together (also the limit of one message). */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const toBatchEntry = (command: Command, id: string): SendMessageBatchRequestEntry => ({
  Id: id,
  MessageBody: encodeCommandMessage(command),
  MessageGroupId: messageGroupId(command),
  MessageDeduplicationId: messageDeduplicationId(command),
});

/** Entries in dispatch order, cut into batches of at most 10 entries and 256 KiB. */
export const toBatches = (commands: ReadonlyArray<Command>): SendMessageBatchRequestEntry[][] => {
  const batches: SendMessageBatchRequestEntry[][] = [];
  let current: SendMessageBatchRequestEntry[] = [];
  let bytes = 0;
  commands.forEach((command, i) => {
    const entry = toBatchEntry(command, String(i));
    const size = Buffer.byteLength(entry.MessageBody ?? '', 'utf8');
    if (size > MAX_BATCH_BYTES) {
      throw new Error(`command ${command.commandId} (${command.type}) is ${size} bytes, over SQS's ${MAX_BATCH_BYTES}`);
    }
    if (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  });
  if (current.length > 0) batches.push(current);

  return batches;
};

export class SqsDispatchError extends Error {
  constructor(
    readonly failed: ReadonlyArray<{ readonly commandId: string; readonly code: string; readonly message: string }>,
  ) {
    super(
      `SQS refused ${failed.length} command(s): ` +
        failed.map((f) => `${f.commandId} ${f.code}: ${f.message}`).join('; '),
    );
    this.name = 'SqsDispatchError';
  }
}

export const createSqsCommandBus = (options: SqsCommandBusOptions): CommandBus => {
  const { client, queueUrl } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 100;

  /**
   * Sends one batch; entries SQS refused are sent again (alone with the others refused), up to `maxAttempts` tries.
   * A refusal that is the sender's fault (an invalid entry) is not retried. What is still refused at the end throws.
   * Errors of the call itself (network, credentials) are the SDK's to retry and then propagate.
   */
  const sendBatch = async (entries: SendMessageBatchRequestEntry[]): Promise<void> => {
    let pending = entries;
    for (let attempt = 1; ; attempt += 1) {
      const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      const failed = out.Failed ?? [];
      if (failed.length === 0) return;
      const byId = new Map(pending.map((e) => [e.Id, e]));
      const retryable = failed.filter((f) => !f.SenderFault);
      if (attempt >= maxAttempts || retryable.length < failed.length) {
        throw new SqsDispatchError(
          failed.map((f) => ({
            commandId: byId.get(f.Id)?.MessageDeduplicationId ?? `entry ${f.Id}`,
            code: f.Code ?? 'unknown',
            message: f.Message ?? '',
          })),
        );
      }
      pending = retryable.flatMap((f) => byId.get(f.Id) ?? []);
      await sleep(retryBaseMs * 2 ** (attempt - 1));
    }
  };

  return {
    dispatch: async (commands) => {
      // In order, one batch after the other: a target stream's commands reach its message group in dispatch order.
      for (const batch of toBatches(commands)) await sendBatch(batch);
    },
  };
};
