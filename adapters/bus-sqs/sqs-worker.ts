import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import * as E from 'fp-ts/lib/Either.js';
import type { Command, CommandType } from '../../domain/commands/commands.js';
import type { CommandExecutor } from '../../domain/ports/command-bus.js';
import { decodeCommandMessage } from './message.js';

/**
 * A long-polling worker on the command queue (for `runs-fleet serve` in a container; on AWS a Lambda on the queue
 * does the same per message). At least once, idempotent by commandId, like every command carrier:
 *
 * - success: the message is deleted;
 * - the executor throws (transient): the message's visibility is set to an exponential backoff (base·2^(receives-1),
 *   capped), so SQS redelivers it later; after `maxReceiveCount` receives the queue's redrive policy moves it to the
 *   dead-letter queue;
 * - the body is not a command this version knows (poison): logged and left for the dead-letter queue, never deleted
 *   here: its visibility is set to 0 so that the redrive policy moves it there after a few immediate receives rather
 *   than blocking its message group for maxReceiveCount visibility timeouts. The raw body is kept intact in the
 *   dead-letter queue, where operators look and from where SQS can redrive it (e.g. to a newer version that knows it).
 *
 * Order: messages of one group (one target stream) from a receive run one after the other; when one fails, the rest of
 * its group in that receive are released (visibility 0) without running, so they come back after it, in order.
 * `stop()` is graceful: no new receive, the long poll in progress is cut, the running messages finish (and are deleted
 * or backed off), the received ones not yet started are released at once for other workers.
 */
export interface SqsWorkerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly executors: Partial<Record<CommandType, CommandExecutor>>;
  /** Set on every receive: how long a received message stays hidden from other workers (SPEC: 120 s). */
  readonly visibilityTimeoutSeconds: number;
  /** Long-poll wait of one receive, 0 to 20 s (SPEC: 20 s). */
  readonly waitTimeSeconds: number;
  /** Messages held at once (running or waiting behind their group), at least 1 (SPEC: 5). */
  readonly maxConcurrent: number;
  /** Redelivery delay after a failure: base·2^(receives-1) seconds, at most max. Default 2 s and 300 s. */
  readonly backoff?: { readonly baseSeconds: number; readonly maxSeconds: number };
  readonly logger?: BusLogger;
}

/** The subset of a pino logger the worker uses. */
export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SqsWorker {
  /** Starts polling; a second call does nothing. */
  start(): void;
  /** Stops polling and resolves when every message this worker held is finished or released. */
  stop(): Promise<void>;
  /** Messages held now (running or waiting behind their group). */
  readonly inFlight: number;
}

const silent: BusLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
/** SQS's ceiling for a visibility timeout: 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/** Seconds until a message that failed on its `receiveCount`-th receive is delivered again. */
export const backoffSeconds = (receiveCount: number, baseSeconds: number, maxSeconds: number): number =>
  Math.min(
    MAX_VISIBILITY_SECONDS,
    maxSeconds,
    Math.round(baseSeconds * 2 ** Math.min(Math.max(receiveCount - 1, 0), 30)),
  );

type Outcome = 'done' | 'failed' | 'poison';

/** Messages in receive order, grouped by message group (a message without one is a group of its own). */
const byGroup = (messages: ReadonlyArray<Message>): Message[][] => {
  const groups = new Map<string, Message[]>();
  messages.forEach((m, i) => {
    const key = m.Attributes?.MessageGroupId ?? `#${i}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  });

  return [...groups.values()];
};

export const createSqsWorker = (options: SqsWorkerOptions): SqsWorker => {
  const { client, queueUrl, executors, visibilityTimeoutSeconds, waitTimeSeconds } = options;
  const maxConcurrent = Math.max(1, Math.floor(options.maxConcurrent));
  const { baseSeconds, maxSeconds } = options.backoff ?? { baseSeconds: 2, maxSeconds: 300 };
  const log = options.logger ?? silent;
  let held = 0;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let poll: AbortController | undefined;
  const chains = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;
  let wake: (() => void) | undefined;
  /** Sleeps, or less when `stop()` is called. */
  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const release = (n: number): void => {
    held -= n;
    slotFreed?.();
  };
  const waitForSlot = async (): Promise<void> => {
    while (held >= maxConcurrent && !stopping) await new Promise<void>((resolve) => (slotFreed = resolve));
  };

  const setVisibility = async (m: Message, seconds: number): Promise<void> => {
    try {
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (e) {
      // It comes back after its visibility timeout instead.
      log.warn({ messageId: m.MessageId, seconds, err: errorMessage(e) }, 'sqs worker: could not change visibility');
    }
  };

  const execute = async (command: Command): Promise<void> => {
    const executor = executors[command.type];
    if (executor === undefined) throw new Error(`no executor for ${command.type} on this worker`);
    await executor(command);
  };

  const handle = async (m: Message): Promise<Outcome> => {
    const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? '1');
    const decoded = decodeCommandMessage(m.Body);
    if (E.isLeft(decoded)) {
      log.error(
        { messageId: m.MessageId, receiveCount, why: decoded.left, body: (m.Body ?? '').slice(0, 500) },
        'sqs worker: not a command, left for the dead-letter queue',
      );
      await setVisibility(m, 0);

      return 'poison';
    }
    const command = decoded.right;
    const started = performance.now();
    try {
      await execute(command);
    } catch (e) {
      const delay = backoffSeconds(receiveCount, baseSeconds, maxSeconds);
      log.warn(
        { commandId: command.commandId, type: command.type, receiveCount, retryInSeconds: delay, err: errorMessage(e) },
        'sqs worker: command failed, redelivery delayed',
      );
      await setVisibility(m, delay);

      return 'failed';
    }
    try {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    } catch (e) {
      // Done but not deleted: it comes back and runs again, which executors tolerate (idempotent by commandId).
      log.warn({ commandId: command.commandId, err: errorMessage(e) }, 'sqs worker: could not delete a done message');
    }
    log.info(
      { commandId: command.commandId, type: command.type, ms: Math.round(performance.now() - started) },
      'sqs worker: command done',
    );

    return 'done';
  };

  /** One message group of a receive, in order; after a failure (or once stopping) the rest are released unrun. */
  const runGroup = async (group: ReadonlyArray<Message>): Promise<void> => {
    let blocked = false;
    for (const m of group) {
      try {
        if (blocked || stopping) await setVisibility(m, 0);
        else blocked = (await handle(m)) !== 'done';
      } finally {
        release(1);
      }
    }
  };

  const receive = async (max: number): Promise<Message[]> => {
    poll = new AbortController();
    try {
      const out = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: waitTimeSeconds,
          VisibilityTimeout: visibilityTimeoutSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
        }),
        { abortSignal: poll.signal },
      );

      return out.Messages ?? [];
    } finally {
      poll = undefined;
    }
  };

  const run = async (): Promise<void> => {
    for (let errors = 0; !stopping;) {
      await waitForSlot();
      if (stopping) break;
      let messages: Message[];
      try {
        messages = await receive(maxConcurrent - held);
        errors = 0;
      } catch (e) {
        if (stopping) break;
        errors += 1;
        log.error({ err: errorMessage(e), errors }, 'sqs worker: receive failed');
        await pause(Math.min(20_000, 500 * 2 ** Math.min(errors, 10)));
        continue;
      }
      held += messages.length;
      for (const group of byGroup(messages)) {
        const chain = runGroup(group).catch((e: unknown) => {
          log.error({ err: errorMessage(e) }, 'sqs worker: message group failed');
        });
        chains.add(chain);
        void chain.finally(() => chains.delete(chain));
      }
    }
  };

  return {
    start: () => {
      if (loop !== undefined) return;
      stopping = false;
      loop = run();
    },
    stop: async () => {
      stopping = true;
      poll?.abort();
      slotFreed?.();
      wake?.();
      await loop;
      while (chains.size > 0) await Promise.all([...chains]);
      loop = undefined;
    },
    get inFlight() {
      return held;
    },
  };
};
