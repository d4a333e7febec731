import { randomUUID } from 'node:crypto';
import { REBALANCE, SPOT_INTERRUPTION, STATE_CHANGE } from './eventbridge-events.js';

/**
 * Test support (used by specs only): EventBridge events exactly as AWS documents them for EC2 (the SQS message body of
 * a rule targeting a queue is the event itself).
 */
const envelope = (detailType: string, instanceId: string, detail: Record<string, string>, time: string) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': detailType,
  source: 'aws.ec2',
  account: '123456789012',
  time,
  region: 'us-east-1',
  resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
  detail,
});

export const spotInterruptionEvent = (instanceId: string, time = '2026-01-01T00:00:00Z') =>
  envelope(SPOT_INTERRUPTION, instanceId, { 'instance-id': instanceId, 'instance-action': 'terminate' }, time);

export const stateChangeEvent = (
  instanceId: string,
  state: 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated',
  time = '2026-01-01T00:00:00Z',
) => envelope(STATE_CHANGE, instanceId, { 'instance-id': instanceId, state }, time);

export const rebalanceEvent = (instanceId: string, time = '2026-01-01T00:00:00Z') =>
  envelope(REBALANCE, instanceId, { 'instance-id': instanceId }, time);
