import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../domain/machine/machine-decide.js';
import { freshName, motoClients } from '../../test/harness/moto-client.js';
import { createEc2EventsPoller, parseEc2Event, TERMINATED_REASON, type PollSummary } from './index.js';
import { rebalanceEvent, spotInterruptionEvent, stateChangeEvent } from './testing.js';

const OURS = 'i-0aaaaaaaaaaaaaaa1';
const FOREIGN = 'i-0ffffffffffffff01';
const UNKNOWN = 'i-0eeeeeeeeeeeeee01';
const MACHINE = 'machineidmachineidmachineid23456';

/** A queue whose received messages are visible again at once, so what the poller keeps comes back on the next poll. */
const createQueue = async (sqs: SQSClient): Promise<string> => {
  const out = await sqs.send(
    new CreateQueueCommand({ QueueName: freshName('ec2-events'), Attributes: { VisibilityTimeout: '0' } }),
  );
  if (out.QueueUrl === undefined) throw new Error('no queue url');
  return out.QueueUrl;
};

const queued = async (sqs: SQSClient, queueUrl: string): Promise<number> => {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
};

describe('[moto] EventBridge EC2 events', () => {
  it('maps the documented payloads to observations, and says why the rest are not recorded', () => {
    const parse = (event: unknown) => parseEc2Event(JSON.stringify(event));

    expect(parse(spotInterruptionEvent(OURS))).toEqual({
      kind: 'observation',
      instanceId: OURS,
      observation: { type: 'SpotInterruptionWarned', data: { cloudId: OURS, kind: 'spot-interruption' } },
    });
    expect(parse(stateChangeEvent(OURS, 'running'))).toMatchObject({ observation: { type: 'MachineRunning' } });
    expect(parse(stateChangeEvent(OURS, 'stopped'))).toMatchObject({ observation: { type: 'MachineStopped' } });
    expect(parse(stateChangeEvent(OURS, 'terminated'))).toMatchObject({
      observation: { type: 'MachineTerminated', data: { cloudId: OURS, reason: TERMINATED_REASON } },
    });
    for (const state of ['pending', 'stopping', 'shutting-down'] as const)
      expect(parse(stateChangeEvent(OURS, state))).toEqual({
        kind: 'ignored',
        instanceId: OURS,
        why: `state ${state}`,
      });
    expect(parse(rebalanceEvent(OURS))).toEqual({ kind: 'ignored', instanceId: OURS, why: 'rebalance recommendation' });
    expect(parseEc2Event('{not json')).toEqual({ kind: 'unreadable', why: 'not JSON' });
    expect(parse({ ...spotInterruptionEvent(OURS), source: 'aws.s3' })).toEqual({
      kind: 'unreadable',
      why: 'source aws.s3',
    });
    expect(parse({ ...spotInterruptionEvent(OURS), 'detail-type': 'EC2 AMI State Change' })).toMatchObject({
      kind: 'unreadable',
    });
    expect(parse({ ...spotInterruptionEvent(OURS), detail: {} })).toMatchObject({ kind: 'unreadable' });
  });
});

describe('[moto] EC2 events poller on SQS', () => {
  const { sqs } = motoClients();
  let queueUrl: string;
  afterAll(() => sqs.destroy());
  beforeAll(async () => {
    queueUrl = await createQueue(sqs);
  });

  const send = (body: unknown) =>
    sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );

  const machinesOf = async (ids: ReadonlyArray<string>) =>
    new Map<string, string | null>(
      ids.flatMap((id): Array<[string, string | null]> =>
        id === OURS ? [[id, MACHINE]] : id === FOREIGN ? [[id, null]] : [],
      ),
    );

  it("records our instances' events, drops the rest, and deletes a message only after its record", async () => {
    const reported: Array<[string, Observation]> = [];
    let failNext = true;
    const poller = createEc2EventsPoller({
      sqs,
      queueUrl,
      machinesOf,
      waitTimeSeconds: 0,
      report: async (machineId, observation) => {
        if (observation.type === 'MachineStopped' && failNext) {
          failNext = false;
          throw new Error('store unavailable');
        }
        reported.push([machineId, observation]);
      },
    });
    for (const body of [
      spotInterruptionEvent(OURS),
      stateChangeEvent(OURS, 'pending'),
      stateChangeEvent(OURS, 'stopped'),
      rebalanceEvent(OURS),
      spotInterruptionEvent(FOREIGN),
      stateChangeEvent(UNKNOWN, 'running'),
      'not an event',
    ])
      await send(body);

    const summaries: PollSummary[] = [];
    for (let i = 0; i < 10 && (await queued(sqs, queueUrl)) > 0; i++) summaries.push(await poller.pollOnce());

    expect(reported).toEqual([
      [MACHINE, { type: 'SpotInterruptionWarned', data: { cloudId: OURS, kind: 'spot-interruption' } }],
      [MACHINE, { type: 'MachineStopped', data: { cloudId: OURS } }],
    ]);
    const total = (key: 'received' | 'recorded' | 'dropped' | 'kept') => summaries.reduce((sum, s) => sum + s[key], 0);
    // The failed record and the unknown instance were kept and came back; the unknown one was dropped on its 3rd receive.
    expect(total('recorded')).toBe(2);
    expect(total('dropped')).toBe(5);
    expect(total('kept')).toBe(3);
    expect(await queued(sqs, queueUrl)).toBe(0);
  });

  it('start() polls until stop()', async () => {
    const reported: string[] = [];
    const poller = createEc2EventsPoller({
      sqs,
      queueUrl,
      machinesOf,
      waitTimeSeconds: 1,
      report: async (_machineId, observation) => void reported.push(observation.type),
    });
    poller.start();
    await send(stateChangeEvent(OURS, 'running'));
    await send(stateChangeEvent(OURS, 'terminated'));
    for (let i = 0; i < 100 && reported.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    await poller.stop();

    expect([...reported].sort()).toEqual(['MachineRunning', 'MachineTerminated']);
    expect(await queued(sqs, queueUrl)).toBe(0);
  });
});
