import {
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../domain/commands/commands.js';
import {
  MAX_BATCH_BYTES,
  SqsDispatchError,
  backoffSeconds,
  createQueuesInput,
  createSqsCommandBus,
  createSqsWorker,
  sqsId,
  toBatches,
} from './index.js';

const rerun = (n: number, repo = 'octo/repo'): Command => ({
  type: 'RerunJob',
  commandId: `c${n}`,
  cause: { streamId: `job#${n % 3}`, version: n },
  data: { jobId: String(n % 3), repo },
});

describe('SQS command bus (no queue)', () => {
  it('keeps SQS-valid ids, and maps others (too long, other characters) to a stable hash', () => {
    expect(sqsId('machine#m-1')).toBe('machine#m-1');
    expect(sqsId('r'.repeat(128))).toBe('r'.repeat(128));
    const long = sqsId(`runner#${'r'.repeat(200)}`);
    expect(long).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(sqsId(`runner#${'r'.repeat(200)}`)).toBe(long);
    expect(sqsId('job#é')).toMatch(/^sha256:/);
    expect(sqsId('')).toMatch(/^sha256:/);
  });

  it('cuts batches at 10 entries and at 256 KiB, in order, and refuses a command too big for SQS', () => {
    expect(toBatches(Array.from({ length: 23 }, (_, i) => rerun(i))).map((b) => b.length)).toEqual([10, 10, 3]);
    const big = Array.from({ length: 4 }, (_, i) => rerun(i, 'x'.repeat(100 * 1024)));
    const batches = toBatches(big);
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    expect(batches.flat().map((e) => e.MessageDeduplicationId)).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(() => toBatches([rerun(1, 'x'.repeat(MAX_BATCH_BYTES))])).toThrow(/over SQS/);
    expect(toBatches([])).toEqual([]);
  });

  it('sends again only the entries SQS refused, then throws what is still refused', async () => {
    const sqs = mockClient(SQSClient);
    const inputs: SendMessageBatchCommandInput[] = [];
    let call = 0;
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      inputs.push(input);
      call += 1;
      const entries = input.Entries ?? [];
      if (call === 1) {
        return {
          Successful: entries.slice(1).map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
          Failed: [{ Id: entries[0]?.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' }],
        };
      }

      return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })), Failed: [] };
    });
    const client = new SQSClient({ region: 'us-east-1' });
    await createSqsCommandBus({ client, queueUrl: 'q.fifo', retryBaseMs: 1 }).dispatch([rerun(1), rerun(2)]);
    expect(inputs.map((i) => i.Entries?.map((e) => e.MessageDeduplicationId))).toEqual([['c1', 'c2'], ['c1']]);

    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', SenderFault: false, Code: 'ServiceUnavailable', Message: 'down' }],
    });
    const failing = createSqsCommandBus({ client, queueUrl: 'q.fifo', retryBaseMs: 1, maxAttempts: 3 });
    await expect(failing.dispatch([rerun(7)])).rejects.toThrow(/c7 ServiceUnavailable/);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2 + 3);

    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' }],
    });
    await expect(failing.dispatch([rerun(8)])).rejects.toBeInstanceOf(SqsDispatchError);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(5 + 1); // the sender's fault is not retried
    sqs.restore();
  });

  it('backs off exponentially from the receive count, bounded', () => {
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffSeconds(n, 2, 300))).toEqual([2, 4, 8, 16, 32, 300]);
    expect(backoffSeconds(1, 100_000, 100_000)).toBe(43_200);
  });

  it('describes a FIFO queue with a FIFO dead-letter queue and a redrive policy', () => {
    const input = createQueuesInput('runs-fleet-commands');
    expect(input.deadLetter.QueueName).toBe('runs-fleet-commands-dlq.fifo');
    const main = input.main('arn:aws:sqs:us-east-1:1:runs-fleet-commands-dlq.fifo');
    expect(main.QueueName).toBe('runs-fleet-commands.fifo');
    expect(main.Attributes).toMatchObject({
      FifoQueue: 'true',
      ContentBasedDeduplication: 'false',
      VisibilityTimeout: '120',
    });
    expect(JSON.parse(main.Attributes?.['RedrivePolicy'] ?? '{}')).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:1:runs-fleet-commands-dlq.fifo',
      maxReceiveCount: 3,
    });
    expect(() => createQueuesInput('bad.name')).toThrow();
    expect(() => createQueuesInput('x'.repeat(72))).toThrow();
  });

  it('worker: keeps polling through receive errors, and stop() does not wait out the backoff', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(ReceiveMessageCommand).rejects(new Error('network down'));
    const errors: string[] = [];
    const worker = createSqsWorker({
      client: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'q.fifo',
      executors: {},
      visibilityTimeoutSeconds: 30,
      waitTimeSeconds: 20,
      maxConcurrent: 1,
      logger: { info: () => undefined, warn: () => undefined, error: (_o, msg) => void errors.push(msg) },
    });
    worker.start();
    await new Promise((r) => setTimeout(r, 1200)); // 1st retry after 1 s
    const before = Date.now();
    await worker.stop();
    expect(Date.now() - before).toBeLessThan(200);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    sqs.restore();
  });
});
