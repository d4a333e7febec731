import { describe, expect, it } from 'vitest';
import type { PoolSchedule } from '../../domain/events/pool-events.js';
import { BOOT_GRACE_MINUTES, DWELL_SECONDS } from '../../domain/pool/constants.js';
import { initialPoolState, type PoolConfig, type PoolState } from '../../domain/pool/pool-state.js';
import { guardMiss, reconcilePool, type MemberObservation } from '../../domain/pool/reconcile.js';
import { poolTargets } from '../../domain/pool/targets.js';
import { addMinutes } from '../../domain/shared/time.js';

/** The pure reconciler (SPEC section 4 and lesson 8): what it decides, and every guard's near miss. */
const NOW = '2026-11-27T12:00:00.000Z';
const ago = (minutes: number) => addMinutes(NOW, -minutes);
const LONG_AGO = ago(60);

const config = (over: Partial<PoolConfig> = {}): PoolConfig => ({
  name: 'default',
  label: 'runs-fleet/pool=default/cpu=2/arch=arm64',
  desiredRunning: 0,
  desiredStopped: 0,
  idleTimeoutMinutes: 10,
  schedules: [],
  ephemeral: false,
  timeZone: null,
  ...over,
});

const pool = (over: Partial<PoolConfig> = {}, state: Partial<PoolState> = {}): PoolState => ({
  ...initialPoolState('default'),
  version: 3,
  config: config(over),
  ...state,
});

let next = 0;
const member = (over: Partial<MemberObservation> = {}): MemberObservation => {
  next += 1;

  return {
    machineId: `m${String(next).padStart(3, '0')}`,
    version: 4,
    status: 'running',
    claimed: false,
    retiring: null,
    startFailed: false,
    configPrepared: false,
    bootedAt: LONG_AGO,
    statusSince: LONG_AGO,
    ...over,
  };
};
const stopped = (over: Partial<MemberObservation> = {}) => member({ status: 'stopped', ...over });

const decide = (p: PoolState, members: MemberObservation[], now = NOW) =>
  reconcilePool({ pool: { ...p, members: members.map((m) => m.machineId) }, members, now });

describe('pool reconcile: scale up', () => {
  it('from empty launches the hot and the stopped members (on-demand, from the pool label)', () => {
    const decision = decide(pool({ desiredRunning: 2, desiredStopped: 3 }), []);
    expect(decision?.actions).toEqual({ launch: 5, start: [], stop: [], terminate: [] });
    expect(decision?.desired).toEqual({ running: 2, stopped: 3 });
    expect(decision?.label).toBe('runs-fleet/pool=default/cpu=2/arch=arm64');
    expect(decision?.observed).toEqual({ poolVersion: 3, members: [] });
  });

  it('starts stopped members first when hot is short, and launches only the rest', () => {
    const s1 = stopped({ statusSince: ago(30) });
    const s2 = stopped({ statusSince: ago(20) });
    const decision = decide(pool({ desiredRunning: 3, desiredStopped: 0 }), [s1, s2]);
    expect(decision?.actions).toEqual({ launch: 1, start: [s1.machineId, s2.machineId], stop: [], terminate: [] });
  });

  it('a start the last reconcile asked for is in flight (not started twice) until the boot grace has passed', () => {
    const s1 = stopped();
    const last = {
      version: 3,
      at: ago(1),
      desired: { running: 1, stopped: 0 },
      actions: { launch: 0, start: [s1.machineId], stop: [], terminate: [] },
      label: 'runs-fleet/pool=default',
      reasons: [],
    };
    const p = pool({ desiredRunning: 1 }, { lastReconcile: last });
    expect(decide(p, [s1])).toBeNull();
    const later = addMinutes(NOW, BOOT_GRACE_MINUTES);
    expect(decide(p, [s1], later)?.actions.start).toEqual([s1.machineId]);
  });

  it('booting members and launches not yet claimed count toward the targets', () => {
    const p = pool({ desiredRunning: 1, desiredStopped: 1 });
    expect(
      decide(p, [
        member({ status: 'unknown', version: 0, bootedAt: null, statusSince: null }),
        member({ status: 'launched', bootedAt: NOW }),
      ]),
    ).toBeNull();
  });

  it('nothing to do records nothing', () => {
    expect(decide(pool({ desiredRunning: 1, desiredStopped: 1 }), [member(), stopped()])).toBeNull();
  });

  it('claimed members have left the pool: they are replaced and not observed', () => {
    const claimed = member({ claimed: true });
    const decision = decide(pool({ desiredRunning: 1 }), [claimed]);
    expect(decision?.actions.launch).toBe(1);
    expect(decision?.observed.members).toEqual([]);
  });
});

describe('pool reconcile: scale down and the guard chain (lesson 8)', () => {
  const cold = pool({ desiredRunning: 0, desiredStopped: 1 });

  it('an idle member past every guard is stopped while stopped is short, the rest terminated', () => {
    const a = member({ statusSince: ago(40) });
    const b = member({ statusSince: ago(30) });
    const decision = decide(cold, [a, b]);
    expect(decision?.actions).toEqual({ launch: 0, start: [], stop: [a.machineId], terminate: [b.machineId] });
  });

  it.each([
    ['runner-config', { configPrepared: true }],
    ['boot-grace', { bootedAt: ago(BOOT_GRACE_MINUTES - 0.1) }],
    ['dwell', { statusSince: addMinutes(NOW, -(DWELL_SECONDS - 1) / 60) }],
  ] as const)('near miss %s: the member is left alone', (guard, over) => {
    const m = member(over);
    expect(guardMiss(m, NOW, { desiredRunning: 0, idleTimeoutMinutes: 10 })).toBe(guard);
    expect(decide(cold, [m])).toBeNull();
  });

  it('just past the boot grace and the dwell time, the member is stopped', () => {
    const m = member({ bootedAt: ago(BOOT_GRACE_MINUTES), statusSince: addMinutes(NOW, -DWELL_SECONDS / 60) });
    expect(guardMiss(m, NOW, { desiredRunning: 0, idleTimeoutMinutes: 10 })).toBeNull();
    expect(decide(cold, [m])?.actions.stop).toEqual([m.machineId]);
  });

  it('a hot pool stops an excess member only after the idle timeout, on top of the other guards', () => {
    const hot = pool({ desiredRunning: 1, desiredStopped: 1, idleTimeoutMinutes: 10 });
    const first = member({ statusSince: ago(9) });
    const second = member({ statusSince: ago(9) });
    expect(guardMiss(first, NOW, { desiredRunning: 1, idleTimeoutMinutes: 10 })).toBe('hot-idle-timeout');
    expect(decide(hot, [first, second])).toBeNull();
    // Once both are idle long enough, one stays hot and the other is stopped.
    expect(decide(hot, [first, second], addMinutes(NOW, 1))?.actions).toEqual({
      launch: 0,
      start: [],
      stop: [first.machineId],
      terminate: [],
    });
  });

  it('never touches a claimed member, nor one being stopped or terminated', () => {
    const members = [member({ claimed: true }), member({ retiring: 'stop' }), member({ retiring: 'terminate' })];
    const decision = decide(pool({ desiredRunning: 0, desiredStopped: 1 }), members);
    // The member being stopped counts as stopped: nothing is launched, nothing touched.
    expect(decision).toBeNull();
  });

  it('terminates excess stopped members past the dwell time, never one just stopped', () => {
    const old = stopped({ statusSince: ago(30) });
    const fresh = stopped({ statusSince: ago(0.5) });
    const p = pool({ desiredStopped: 0 });
    expect(decide(p, [old, fresh])?.actions.terminate).toEqual([old.machineId]);
  });

  it('a member the cloud would not start is terminated (and replaced)', () => {
    const broken = stopped({ startFailed: true });
    const decision = decide(pool({ desiredStopped: 1 }), [broken]);
    expect(decision?.actions).toEqual({ launch: 1, start: [], stop: [], terminate: [broken.machineId] });
  });

  it('a removed pool ends every member, still through the guards', () => {
    const p = pool({ desiredRunning: 2, desiredStopped: 2 }, { removed: true });
    const young = member({ bootedAt: ago(1) });
    const ready = member();
    const idle = stopped();
    const decision = decide(p, [young, ready, idle]);
    expect(decision?.desired).toEqual({ running: 0, stopped: 0 });
    expect(decision?.actions).toEqual({ launch: 0, start: [], stop: [], terminate: [ready.machineId, idle.machineId] });
    expect(decision?.reasons[0]).toBe('pool removed');
  });
});

describe('pool targets: schedules', () => {
  const office: PoolSchedule = {
    name: 'office',
    startHour: 8,
    endHour: 18,
    daysOfWeek: [1, 2, 3, 4, 5],
    desiredRunning: 3,
    desiredStopped: 2,
  };
  const night: PoolSchedule = {
    ...office,
    name: 'night',
    startHour: 22,
    endHour: 6,
    daysOfWeek: [],
    desiredRunning: 0,
  };

  it('the first matching schedule applies, in the pool time zone', () => {
    // Friday 2026-11-27 12:00 UTC is 13:00 in Berlin and 07:00 in New York.
    const berlin = config({ schedules: [office], timeZone: 'Europe/Berlin', desiredRunning: 1 });
    expect(poolTargets(berlin, false, NOW)).toEqual({ running: 3, stopped: 2, schedule: 'office' });
    const newYork = { ...berlin, timeZone: 'America/New_York' };
    expect(poolTargets(newYork, false, NOW)).toEqual({ running: 1, stopped: 0, schedule: null });
  });

  it('a window may wrap midnight, and days restrict it', () => {
    const c = config({ schedules: [night] });
    expect(poolTargets(c, false, '2026-11-27T23:30:00.000Z').schedule).toBe('night');
    expect(poolTargets(c, false, '2026-11-28T05:59:00.000Z').schedule).toBe('night');
    expect(poolTargets(c, false, '2026-11-28T06:00:00.000Z').schedule).toBeNull();
    const weekend = config({ schedules: [office] });
    expect(poolTargets(weekend, false, '2026-11-28T12:00:00.000Z').schedule).toBeNull();
  });

  it('a removed pool holds nothing', () => {
    expect(poolTargets(config({ desiredRunning: 4 }), true, NOW)).toEqual({ running: 0, stopped: 0, schedule: null });
  });
});
