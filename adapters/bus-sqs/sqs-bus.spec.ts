import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SendMessageBatchCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { commandTarget, type Command } from '../../domain/commands/commands.js';
import type { CommandExecutor } from '../../domain/ports/command-bus.js';
import { freshName, motoClients } from '../../test/harness/moto-client.js';
import {
  createQueues,
  createSqsCommandBus,
  createSqsWorker,
  decodeCommandMessage,
  type BusLogger,
  type CommandQueues,
  type SqsWorker,
  type SqsWorkerOptions,
} from './index.js';

const rerun = (jobId: string, n: number): Command => ({
  type: 'RerunJob',
  commandId: `rerun-${jobId}-${n}-${freshName('c', 20)}`,
  cause: { streamId: `job#${jobId}`, version: n },
  data: { jobId, repo: 'octo/repo' },
});

const deregister = (runnerName: string): Command => ({
  type: 'DeregisterRunner',
  commandId: `dereg-${freshName(runnerName, 40)}`,
  cause: { streamId: `runner#${runnerName}`, version: 1 },
  data: { repo: 'octo/repo', runnerName },
});

interface Recorded {
  readonly client: SQSClient;
  /** Every SendMessageBatch input the client sent, as it went to moto. */
  readonly batches: SendMessageBatchCommandInput[];
}

/** A client whose SendMessageBatch inputs are recorded by SDK middleware (the exact request moto received). */
const recordingClient = (): Recorded => {
  const { sqs } = motoClients();
  const batches: SendMessageBatchCommandInput[] = [];
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendMessageBatchCommand') {
        batches.push(structuredClone(args.input as SendMessageBatchCommandInput));
      }

      return next(args);
    },
    { step: 'initialize', name: 'recordSendMessageBatch' },
  );

  return { client: sqs, batches };
};

const logs: Array<{ level: string; msg: string; obj: object }> = [];
const logger: BusLogger = {
  info: (obj, msg) => logs.push({ level: 'info', msg, obj }),
  warn: (obj, msg) => logs.push({ level: 'warn', msg, obj }),
  error: (obj, msg) => logs.push({ level: 'error', msg, obj }),
};

const depth = async (client: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> => {
  const out = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );

  return {
    visible: Number(out.Attributes?.['ApproximateNumberOfMessages'] ?? NaN),
    inFlight: Number(out.Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? NaN),
  };
};

const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));

  return { promise, resolve };
};

describe('[moto] SQS FIFO command bus', () => {
  const { client, batches } = recordingClient();
  const workers: SqsWorker[] = [];
  const queues: CommandQueues[] = [];

  const newQueues = async (maxReceiveCount = 3): Promise<CommandQueues> => {
    const q = await createQueues(client, freshName('commands', 60), { maxReceiveCount, visibilityTimeoutSeconds: 30 });
    queues.push(q);

    return q;
  };

  const newWorker = (
    queueUrl: string,
    executors: SqsWorkerOptions['executors'],
    overrides: Partial<SqsWorkerOptions> = {},
  ): SqsWorker => {
    const worker = createSqsWorker({
      client,
      queueUrl,
      executors,
      visibilityTimeoutSeconds: 30,
      waitTimeSeconds: 1,
      maxConcurrent: 5,
      backoff: { baseSeconds: 1, maxSeconds: 2 },
      logger,
      ...overrides,
    });
    workers.push(worker);
    worker.start();

    return worker;
  };

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    for (const q of queues) {
      for (const QueueUrl of [q.queueUrl, q.deadLetterQueueUrl])
        await client.send(new DeleteQueueCommand({ QueueUrl }));
    }
    client.destroy();
  });

  it('dispatches in batches of 10 with group = target stream, dedup = commandId; the worker runs each command once', async () => {
    const { queueUrl } = await newQueues();
    const commands = [
      ...Array.from({ length: 6 }, (_, i) => rerun(`j${i % 3}`, i)),
      ...Array.from({ length: 7 }, (_, i) => deregister(`runner-${i}`)),
    ];
    const seen = batches.length;
    await createSqsCommandBus({ client, queueUrl }).dispatch(commands);

    const sent = batches.slice(seen);
    expect(sent.map((b) => b.Entries?.length)).toEqual([10, 3]);
    const entries = sent.flatMap((b) => b.Entries ?? []);
    expect(sent.every((b) => b.QueueUrl === queueUrl)).toBe(true);
    expect(entries.map((e) => [e.MessageGroupId, e.MessageDeduplicationId])).toEqual(
      commands.map((c) => [commandTarget(c), c.commandId]),
    );
    expect(entries.map((e) => decodeCommandMessage(e.MessageBody))).toEqual(
      commands.map((c) => ({ _tag: 'Right', right: c })),
    );

    const runs = new Map<string, number>();
    const count: CommandExecutor = async (c) => void runs.set(c.commandId, (runs.get(c.commandId) ?? 0) + 1);
    const worker = newWorker(queueUrl, { RerunJob: count, DeregisterRunner: count });
    await vi.waitFor(() => expect(runs.size).toBe(commands.length), { timeout: 15_000, interval: 50 });
    await vi.waitFor(async () => expect(await depth(client, queueUrl)).toEqual({ visible: 0, inFlight: 0 }), {
      timeout: 5_000,
      interval: 100,
    });
    await worker.stop();
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  it('delivers a command dispatched twice within the deduplication window once', async () => {
    const { queueUrl } = await newQueues();
    const bus = createSqsCommandBus({ client, queueUrl });
    const once = rerun('dup', 1);
    const other = rerun('dup', 2);
    await bus.dispatch([once]);
    await bus.dispatch([once, other, once]); // again later, and twice in one batch
    const runs: string[] = [];
    const worker = newWorker(queueUrl, { RerunJob: async (c) => void runs.push(c.commandId) });
    await vi.waitFor(() => expect(runs).toContain(other.commandId), { timeout: 10_000, interval: 50 });
    await new Promise((r) => setTimeout(r, 1500)); // another long poll: nothing more comes
    await worker.stop();
    expect(runs).toEqual([once.commandId, other.commandId]);
    expect(await depth(client, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('keeps the order of commands on one target stream, whatever the concurrency', async () => {
    const { queueUrl } = await newQueues();
    const targets = ['a', 'b', 'c'];
    const commands = Array.from({ length: 24 }, (_, i) => rerun(targets[i % 3] ?? 'a', i));
    await createSqsCommandBus({ client, queueUrl }).dispatch(commands);
    const order: Command[] = [];
    let running = 0;
    let overlapped = false;
    const worker = newWorker(
      queueUrl,
      {
        RerunJob: async (c) => {
          running += 1;
          overlapped ||= running > 1;
          await new Promise((r) => setTimeout(r, 5 + ((c.cause.version * 7) % 20)));
          order.push(c);
          running -= 1;
        },
      },
      { maxConcurrent: 10 },
    );
    await vi.waitFor(() => expect(order).toHaveLength(commands.length), { timeout: 20_000, interval: 50 });
    await worker.stop();
    for (const target of targets) {
      const sent = commands.filter((c) => commandTarget(c) === `job#${target}`).map((c) => c.commandId);
      expect(order.filter((c) => commandTarget(c) === `job#${target}`).map((c) => c.commandId)).toEqual(sent);
    }
    expect(overlapped).toBe(true); // different streams did run in parallel
  });

  it('retries a failing command with delayed redelivery, then the redrive policy moves it to the dead-letter queue', async () => {
    const { queueUrl, deadLetterQueueUrl } = await newQueues(3);
    const failing = rerun('poisoned', 1);
    const fine = deregister('fine');
    await createSqsCommandBus({ client, queueUrl }).dispatch([failing, fine]);
    const attempts: number[] = [];
    const done: string[] = [];
    const worker = newWorker(queueUrl, {
      RerunJob: async () => {
        attempts.push(Date.now());
        throw new Error('EC2 said no');
      },
      DeregisterRunner: async (c) => void done.push(c.commandId),
    });
    const dead = await vi.waitFor(
      async () => {
        const out = await client.send(
          new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        expect(out.Messages).toHaveLength(1);

        return out.Messages ?? [];
      },
      { timeout: 20_000, interval: 250 },
    );
    await worker.stop();
    expect(done).toEqual([fine.commandId]);
    expect(attempts).toHaveLength(3);
    // Backoff: base 1 s after the first failure, 2 s (the cap) after the second.
    const [a1 = 0, a2 = 0, a3 = 0] = attempts;
    expect(a2 - a1).toBeGreaterThanOrEqual(900);
    expect(a3 - a2).toBeGreaterThanOrEqual(1900);
    expect(decodeCommandMessage(dead[0]?.Body)).toEqual({ _tag: 'Right', right: failing });
    expect(
      logs.filter((l) => l.msg.includes('command failed')).map((l) => (l.obj as { receiveCount: number }).receiveCount),
    ).toEqual(expect.arrayContaining([1, 2, 3]));
  });

  it('leaves a message that is not a command for the dead-letter queue, without blocking for long', async () => {
    const { queueUrl, deadLetterQueueUrl } = await newQueues(2);
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"type":"FromTheFuture","commandId":"x"}',
        MessageGroupId: 'job#future',
        MessageDeduplicationId: 'future-1',
      }),
    );
    const worker = newWorker(queueUrl, {});
    await vi.waitFor(
      async () => {
        const out = await client.send(new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, WaitTimeSeconds: 0 }));
        expect(out.Messages?.[0]?.Body).toBe('{"type":"FromTheFuture","commandId":"x"}');
      },
      { timeout: 10_000, interval: 250 },
    );
    await worker.stop();
    expect(logs.some((l) => l.level === 'error' && l.msg.includes('not a command'))).toBe(true);
  });

  it('stops gracefully: the running command finishes and is deleted, the long poll is cut', async () => {
    const { queueUrl } = await newQueues();
    const gate = deferred();
    const started = deferred();
    const finished: string[] = [];
    const worker = newWorker(
      queueUrl,
      {
        RerunJob: async (c) => {
          started.resolve();
          await gate.promise;
          finished.push(c.commandId);
        },
      },
      { waitTimeSeconds: 20 },
    );
    const command = rerun('slow', 1);
    await createSqsCommandBus({ client, queueUrl }).dispatch([command]);
    await started.promise;
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(stopped).toBe(false); // waits for the running command
    const released = Date.now();
    gate.resolve();
    await stopping;
    expect(Date.now() - released).toBeLessThan(2000); // not the 20 s long poll
    expect(finished).toEqual([command.commandId]);
    expect(worker.inFlight).toBe(0);
    expect(await depth(client, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });
});
