import * as t from 'io-ts';
import { nullable } from '../shared/codecs.js';
import { eventCodec } from './event-codec.js';

/**
 * Events of a pool stream (`pool#<name>`). Warm-pool decisions (`PoolReconciled`, membership) arrive with the pools
 * issue; configuration is here so the pool read model has a source from the start.
 */

export const PoolSchedule = t.type({
  name: t.string,
  startHour: t.number,
  endHour: t.number,
  daysOfWeek: t.array(t.number),
  desiredRunning: t.number,
  desiredStopped: t.number,
});

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

export const PoolEvent = t.union([PoolConfigured, PoolRemoved]);
export type PoolEvent = t.TypeOf<typeof PoolEvent>;
