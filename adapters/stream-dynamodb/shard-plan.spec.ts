import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eligibleShards, planShards } from './index.js';
import type { ShardInfo, ShardLease } from './index.js';

const NOW = 1_000_000;
const lease = (shardId: string, fields: Partial<ShardLease> = {}): [string, ShardLease] => [
  shardId,
  { shardId, owner: null, expiresAt: 0, leaseCounter: 1, checkpoint: null, finished: false, ...fields },
];
const shards: ShardInfo[] = [
  { shardId: 'p' },
  { shardId: 'c1', parentShardId: 'p' },
  { shardId: 'c2', parentShardId: 'p' },
  { shardId: 'o', parentShardId: 'trimmed' },
];

describe('shard lineage', () => {
  it('a child waits for its parent to finish; a parent gone from the stream counts as done', () => {
    expect(eligibleShards(shards, new Map())).toEqual(['p', 'o']);
    expect(eligibleShards(shards, new Map([lease('p', { finished: true })]))).toEqual(['c1', 'c2', 'o']);
    expect(eligibleShards(shards, new Map([lease('p', { finished: true }), lease('o', { finished: true })]))).toEqual([
      'c1',
      'c2',
    ]);
  });
});

describe('shard plan', () => {
  const plan = (owner: string, held: string[], leases: Array<[string, ShardLease]>, owners: string[]) =>
    planShards({ shards, leases: new Map(leases), liveOwners: new Set(owners), owner, held: new Set(held), now: NOW });

  it('alone, takes every eligible shard nobody live holds, its own old leases included', () => {
    const leases = [lease('p', { finished: true }), lease('c1', { owner: 'a', expiresAt: NOW + 10 })];
    expect(plan('a', [], leases, ['a']).acquire).toEqual(['c1', 'c2', 'o']);
  });

  it('never takes a lease another owner holds, but takes an expired one', () => {
    const leases = [lease('p', { finished: true }), lease('c1', { owner: 'b', expiresAt: NOW + 1 })];
    expect(plan('a', [], leases, ['a']).acquire).toEqual(['c2', 'o']);
    expect(plan('a', [], [leases[0]!, lease('c1', { owner: 'b', expiresAt: NOW })], ['a']).acquire).toEqual([
      'c1',
      'c2',
      'o',
    ]);
  });

  it('with more live owners, keeps to its share and releases the surplus', () => {
    const leases = [lease('p', { finished: true })];
    expect(plan('a', ['c1', 'c2', 'o'], leases, ['a', 'b'])).toMatchObject({ acquire: [], release: ['o'] });
    expect(plan('b', [], leases, ['a', 'b']).acquire).toHaveLength(2);
  });

  it('owners that agree on the table never plan to hold more than there is, nor the same shard twice', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), (n, owners) => {
        const many: ShardInfo[] = Array.from({ length: n }, (_, i) => ({ shardId: `s${i}` }));
        const names = Array.from({ length: owners }, (_, i) => `o${i}`);
        const leases = new Map<string, ShardLease>();
        const held = new Map(names.map((o) => [o, new Set<string>()]));
        // Owners plan in turn, each acquisition visible to the next, until nobody moves.
        for (let round = 0; round < owners * 2; round++) {
          for (const owner of names) {
            const mine = held.get(owner)!;
            const p = planShards({ shards: many, leases, liveOwners: new Set(names), owner, held: mine, now: NOW });
            for (const id of p.acquire) {
              mine.add(id);
              leases.set(id, lease(id, { owner, expiresAt: NOW + 1 })[1]);
            }
          }
        }
        const all = names.flatMap((o) => [...held.get(o)!]);
        expect(new Set(all).size).toBe(all.length);
        expect(all).toHaveLength(n);
        for (const o of names) expect(held.get(o)!.size).toBeLessThanOrEqual(Math.ceil(n / owners));
      }),
    );
  });
});
