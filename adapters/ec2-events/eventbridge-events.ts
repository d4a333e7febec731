import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { Observation } from '../../domain/machine/machine-decide.js';

/**
 * The EventBridge events about EC2 instances that reach us through SQS (an EventBridge rule on `source: aws.ec2`
 * targeting the queue; the message body is the event itself), and what each means for a machine stream (SPEC section
 * 5). The shapes are AWS's documented ones:
 *
 * - `EC2 Spot Instance Interruption Warning` (two minutes' notice): `SpotInterruptionWarned`;
 * - `EC2 Instance State-change Notification`: `running` → `MachineRunning`, `stopped` → `MachineStopped`,
 *   `terminated` → `MachineTerminated`; `pending`, `stopping` and `shutting-down` are steps on the way and say nothing
 *   new;
 * - `EC2 Instance Rebalance Recommendation`: an earlier, softer signal than the interruption warning; logged only
 *   (acting on it would give up spot machines that may well live on).
 */
export const SPOT_INTERRUPTION = 'EC2 Spot Instance Interruption Warning';
export const STATE_CHANGE = 'EC2 Instance State-change Notification';
export const REBALANCE = 'EC2 Instance Rebalance Recommendation';

const Envelope = t.type({
  'detail-type': t.string,
  source: t.string,
  detail: t.UnknownRecord,
});
const InstanceDetail = t.type({ 'instance-id': t.string });
const StateDetail = t.type({ 'instance-id': t.string, state: t.string });

/** The termination reason recorded when EC2 tells us an instance ended (we may not know why). */
export const TERMINATED_REASON = 'ec2-terminated';

export type ParsedEvent =
  | { readonly kind: 'observation'; readonly instanceId: string; readonly observation: Observation }
  /** Understood, and nothing to record (a transition on the way, a rebalance recommendation). */
  | { readonly kind: 'ignored'; readonly instanceId: string | null; readonly why: string }
  /** Not an event we know how to read: logged and dropped. */
  | { readonly kind: 'unreadable'; readonly why: string };

const observationOfState = (instanceId: string, state: string): Observation | null => {
  switch (state) {
    case 'running':
      return { type: 'MachineRunning', data: { cloudId: instanceId } };
    case 'stopped':
      return { type: 'MachineStopped', data: { cloudId: instanceId } };
    case 'terminated':
      return { type: 'MachineTerminated', data: { cloudId: instanceId, reason: TERMINATED_REASON } };
    default:
      return null;
  }
};

export const parseEc2Event = (body: string): ParsedEvent => {
  const json = E.tryCatch(
    (): unknown => JSON.parse(body),
    () => 'not JSON',
  );
  if (E.isLeft(json)) return { kind: 'unreadable', why: json.left };
  const envelope = Envelope.decode(json.right);
  if (E.isLeft(envelope)) return { kind: 'unreadable', why: 'not an EventBridge event' };
  const { source, detail } = envelope.right;
  const type = envelope.right['detail-type'];
  if (source !== 'aws.ec2') return { kind: 'unreadable', why: `source ${source}` };

  switch (type) {
    case SPOT_INTERRUPTION: {
      const d = InstanceDetail.decode(detail);
      if (E.isLeft(d)) return { kind: 'unreadable', why: `${type} without instance-id` };
      const instanceId = d.right['instance-id'];

      return {
        kind: 'observation',
        instanceId,
        observation: { type: 'SpotInterruptionWarned', data: { cloudId: instanceId, kind: 'spot-interruption' } },
      };
    }
    case STATE_CHANGE: {
      const d = StateDetail.decode(detail);
      if (E.isLeft(d)) return { kind: 'unreadable', why: `${type} without instance-id or state` };
      const instanceId = d.right['instance-id'];
      const observation = observationOfState(instanceId, d.right.state);

      return observation === null
        ? { kind: 'ignored', instanceId, why: `state ${d.right.state}` }
        : { kind: 'observation', instanceId, observation };
    }
    case REBALANCE: {
      const d = InstanceDetail.decode(detail);

      return {
        kind: 'ignored',
        instanceId: E.isRight(d) ? d.right['instance-id'] : null,
        why: 'rebalance recommendation',
      };
    }
    default:
      return { kind: 'unreadable', why: `detail-type ${type}` };
  }
};
