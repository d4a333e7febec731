import { DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Observation } from '../../domain/machine/machine-decide.js';
import { sleep } from '../shared/sleep.js';
import { parseEc2Event, type ParsedEvent } from './eventbridge-events.js';

/**
 * Reads EC2's EventBridge events from an SQS queue (SPEC section 5, DESIGN section 1: "EC2/EventBridge → lifecycle")
 * and reports each as an observation of our machine, found through the instance's tags. At least once: a message is
 * deleted only after its observation is recorded (or when there is nothing to record); when recording fails the
 * message stays and SQS delivers it again after the queue's visibility timeout. Recording is idempotent (the machine
 * decider drops repeats), so a redelivery records nothing twice.
 *
 * An instance EC2 does not describe (an event that overtook DescribeInstances' eventual consistency, or an instance
 * long gone) is left for redelivery until its message has been received `maxUnknownReceives` times, then dropped with
 * a warning. An instance that is not ours (no managed tag) is dropped at once.
 */
export interface Ec2EventsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface Ec2EventsOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** For each instance id described: our machine id, or null when the instance is not ours (adapters/ec2). */
  readonly machinesOf: (instanceIds: ReadonlyArray<string>) => Promise<ReadonlyMap<string, string | null>>;
  /** Appends the observation to the machine's stream (handlers/serve/record-observation.ts). */
  readonly report: (machineId: string, observation: Observation) => Promise<void>;
  readonly logger?: Ec2EventsLogger;
  /** Long poll of one receive, 0..20 s. Default 20. */
  readonly waitTimeSeconds?: number;
  /** Default 3. */
  readonly maxUnknownReceives?: number;
  /** Pause after a failed receive. Default 5 s. */
  readonly errorPauseMs?: number;
}

export interface PollSummary {
  readonly received: number;
  readonly recorded: number;
  /** Deleted with nothing to record: ignored transitions, foreign instances, unreadable bodies, given-up unknowns. */
  readonly dropped: number;
  /** Left in the queue for redelivery. */
  readonly kept: number;
}

export interface Ec2EventsPoller {
  /** One receive and its messages; for tests and for a Lambda-style caller. */
  pollOnce(signal?: AbortSignal): Promise<PollSummary>;
  /** Polls until `stop()`; a second call does nothing. */
  start(): void;
  stop(): Promise<void>;
}

const silent: Ec2EventsLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

type Verdict = 'recorded' | 'dropped' | 'kept';

export const createEc2EventsPoller = (options: Ec2EventsOptions): Ec2EventsPoller => {
  const { sqs, queueUrl } = options;
  const log = options.logger ?? silent;
  const maxUnknownReceives = options.maxUnknownReceives ?? 3;
  let loop: Promise<void> | undefined;
  let abort: AbortController | undefined;

  const remove = async (message: Message): Promise<void> => {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  };

  const handle = async (
    message: Message,
    parsed: ParsedEvent,
    machines: ReadonlyMap<string, string | null>,
  ): Promise<Verdict> => {
    const messageId = message.MessageId;
    if (parsed.kind === 'unreadable') {
      log.warn({ messageId, why: parsed.why }, 'EC2 event not understood; dropped');
      return 'dropped';
    }
    if (parsed.kind === 'ignored') {
      log.info({ messageId, instanceId: parsed.instanceId, why: parsed.why }, 'EC2 event: nothing to record');
      return 'dropped';
    }
    const { instanceId, observation } = parsed;
    if (!machines.has(instanceId)) {
      const receives = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
      if (receives < maxUnknownReceives) return 'kept';
      log.warn(
        { messageId, instanceId, receives, type: observation.type },
        'EC2 event for an unknown instance; dropped',
      );
      return 'dropped';
    }
    const machineId = machines.get(instanceId) ?? null;
    if (machineId === null) return 'dropped';
    try {
      await options.report(machineId, observation);
    } catch (error) {
      log.error({ messageId, instanceId, machineId, err: errorMessage(error) }, 'recording an EC2 event failed; kept');
      return 'kept';
    }
    if (observation.type === 'SpotInterruptionWarned')
      log.warn({ instanceId, machineId }, 'spot interruption warning recorded');

    return 'recorded';
  };

  const pollOnce = async (signal?: AbortSignal): Promise<PollSummary> => {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: options.waitTimeSeconds ?? 20,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    const messages = out.Messages ?? [];
    const parsed = messages.map((m) => parseEc2Event(m.Body ?? ''));
    const instanceIds = parsed.flatMap((p) => (p.kind === 'observation' ? [p.instanceId] : []));
    const machines =
      instanceIds.length === 0 ? new Map<string, string | null>() : await options.machinesOf(instanceIds);
    const counts = { recorded: 0, dropped: 0, kept: 0 };
    // One after the other, in receive order: the events of one instance (running, then stopped) keep their order.
    for (const [i, message] of messages.entries()) {
      const verdict = await handle(message, parsed[i] as ParsedEvent, machines);
      counts[verdict] += 1;
      // Deleted only after the append: a crash before this line means one more delivery, never a lost event.
      if (verdict !== 'kept') await remove(message);
    }

    return { received: messages.length, ...counts };
  };

  return {
    pollOnce,
    start: () => {
      if (loop !== undefined) return;
      abort = new AbortController();
      const { signal } = abort;
      loop = (async () => {
        while (!signal.aborted) {
          try {
            await pollOnce(signal);
          } catch (error) {
            if (signal.aborted) break;
            log.error({ err: errorMessage(error), queueUrl }, 'EC2 events: receive failed; pausing');
            await sleep(options.errorPauseMs ?? 5_000, signal);
          }
        }
      })();
    },
    stop: async () => {
      abort?.abort();
      await loop;
      loop = undefined;
    },
  };
};
