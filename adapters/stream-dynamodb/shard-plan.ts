import type { ShardLease } from './lease-store.js';

/** A shard as DescribeStream lists it. */
export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardId?: string;
}

export interface PlanInput {
  readonly shards: ReadonlyArray<ShardInfo>;
  readonly leases: ReadonlyMap<string, ShardLease>;
  /** Pollers with a live heartbeat, this one included or not (it is added). */
  readonly liveOwners: ReadonlySet<string>;
  readonly owner: string;
  /** Shards this poller is working on right now. */
  readonly held: ReadonlySet<string>;
  readonly now: number;
}

export interface Plan {
  /** Shards to try to take (each by a conditional write; another poller may win). */
  readonly acquire: ReadonlyArray<string>;
  /** Shards to hand back (after the current batch) because this poller holds more than its share. */
  readonly release: ReadonlyArray<string>;
  /** Shards that may be processed now, whoever holds them. */
  readonly eligible: ReadonlyArray<string>;
}

/**
 * Lineage: a shard may be processed once it is not finished and its parent is finished, or has no parent, or the
 * parent is no longer in the stream description (trimmed after 24 hours: it can hold nothing left to read).
 */
export const eligibleShards = (
  shards: ReadonlyArray<ShardInfo>,
  leases: ReadonlyMap<string, ShardLease>,
): ReadonlyArray<string> => {
  const listed = new Set(shards.map((s) => s.shardId));
  const finished = (id: string) => leases.get(id)?.finished === true;

  return shards
    .filter((s) => !finished(s.shardId))
    .filter((s) => s.parentShardId === undefined || !listed.has(s.parentShardId) || finished(s.parentShardId))
    .map((s) => s.shardId);
};

/**
 * Which shards to take and give back. Each live poller aims at ceil(eligible / live pollers) shards. A poller below
 * its share takes shards nobody holds (absent, released, expired, or its own from a previous incarnation); one above
 * it releases the surplus, which the others then take. Nobody takes a shard another live poller holds: shards move
 * only by release or expiry, never by stealing.
 */
export const planShards = (input: PlanInput): Plan => {
  const eligible = eligibleShards(input.shards, input.leases);
  const owners = new Set(input.liveOwners).add(input.owner).size;
  const share = Math.ceil(eligible.length / owners);
  const free = (id: string): boolean => {
    const lease = input.leases.get(id);

    return lease === undefined || lease.owner === null || lease.owner === input.owner || lease.expiresAt <= input.now;
  };
  const held = eligible.filter((id) => input.held.has(id));
  const acquire = eligible.filter((id) => !input.held.has(id) && free(id)).slice(0, Math.max(0, share - held.length));
  const release = held.slice(share);

  return { acquire, release, eligible };
};
