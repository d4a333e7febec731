import * as t from 'io-ts';
import { nullable } from '../shared/codecs.js';
import { eventCodec } from './event-codec.js';

/**
 * Events of a pool stream (`pool#<name>`): its configuration and every reconcile decision that acted. Membership is
 * derived from the decisions themselves: a `PoolReconciled` names the members it observed alive and unclaimed, and the
 * members it launches are named by its own stream version (`poolLaunchId`), so the stream stays small.
 */

export const PoolSchedule = t.type({
  name: t.string,
  startHour: t.number,
  endHour: t.number,
  daysOfWeek: t.array(t.number),
  desiredRunning: t.number,
  desiredStopped: t.number,
});
export type PoolSchedule = t.TypeOf<typeof PoolSchedule>;

export const PoolConfigured = eventCodec(
  'PoolConfigured',
  t.type({
    name: t.string,
    label: t.string,
    desiredRunning: t.number,
    desiredStopped: t.number,
    idleTimeoutMinutes: t.number,
    schedules: t.array(PoolSchedule),
    ephemeral: t.boolean,
    timeZone: nullable(t.string),
  }),
);
export type PoolConfigured = t.TypeOf<typeof PoolConfigured>;

export const PoolRemoved = eventCodec('PoolRemoved', t.type({ name: t.string, reason: t.string }));
export type PoolRemoved = t.TypeOf<typeof PoolRemoved>;

export const PoolMemberRef = t.type({ machineId: t.string, version: t.number });

export const PoolActions = t.type({
  /** How many new on-demand members to launch; their ids derive from this event's stream and version. */
  launch: t.number,
  start: t.array(t.string),
  stop: t.array(t.string),
  terminate: t.array(t.string),
});
export type PoolActions = t.TypeOf<typeof PoolActions>;

/**
 * A reconcile that acts records its decision first (DESIGN section 3), appended at the pool version it observed: two
 * orchestrators deciding on one observation conflict here instead of both acting. The commands derive from this
 * event only (and `label`, frozen here, is what new members are launched from: SPEC lesson 13, re-resolved each time).
 */
export const PoolReconciled = eventCodec(
  'PoolReconciled',
  t.type({
    observed: t.type({ poolVersion: t.number, members: t.array(PoolMemberRef) }),
    desired: t.type({ running: t.number, stopped: t.number }),
    actions: PoolActions,
    label: t.string,
    /** Why, in words, for `pools list` and replay. */
    reasons: t.array(t.string),
  }),
);
export type PoolReconciled = t.TypeOf<typeof PoolReconciled>;

export const PoolEvent = t.union([PoolConfigured, PoolRemoved, PoolReconciled]);
export type PoolEvent = t.TypeOf<typeof PoolEvent>;
