import type { PoolConfigured, PoolRemoved } from '../../domain/events/pool-events.js';
import { configChanged } from '../../domain/pool/config.js';
import type { PoolConfig } from '../../domain/pool/pool-state.js';
import { poolStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { listPools } from './pool-streams.js';

/**
 * `pools apply`: one `PoolConfigured` per pool whose configuration changed (or that comes back after a removal), and
 * with `prune` one `PoolRemoved` per configured pool the file no longer lists. Each append is conditional on the
 * version read, so an apply racing another reports the conflict instead of overwriting it.
 */
export interface PoolChange {
  readonly name: string;
  readonly change: 'configured' | 'removed' | 'unchanged' | 'conflict';
}

export const applyPools = async (deps: {
  readonly store: EventStore;
  readonly configs: ReadonlyArray<PoolConfig>;
  readonly prune: boolean;
  readonly at: string;
}): Promise<ReadonlyArray<PoolChange>> => {
  const current = new Map((await listPools(deps.store)).map((pool) => [pool.name, pool]));
  const changes: PoolChange[] = [];
  const append = async (name: string, event: PoolConfigured | PoolRemoved, version: number) => {
    const outcome = await deps.store.append(poolStreamId(name), [{ ...event, metadata: { at: deps.at } }], version);
    const change = event.type === 'PoolConfigured' ? 'configured' : 'removed';
    changes.push({ name, change: outcome._tag === 'Right' ? change : 'conflict' });
  };
  for (const config of deps.configs) {
    const pool = current.get(config.name);
    if (pool !== undefined && !pool.removed && !configChanged(pool.config, config)) {
      changes.push({ name: config.name, change: 'unchanged' });
    } else {
      await append(config.name, { type: 'PoolConfigured', data: config }, pool?.version ?? 0);
    }
  }
  if (deps.prune) {
    const listed = new Set(deps.configs.map((config) => config.name));
    for (const pool of current.values()) {
      if (listed.has(pool.name) || pool.removed || pool.config === null) continue;
      await append(
        pool.name,
        { type: 'PoolRemoved', data: { name: pool.name, reason: 'not in the pools file' } },
        pool.version,
      );
    }
  }

  return changes;
};
