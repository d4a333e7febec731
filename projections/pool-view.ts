import type { Envelope } from '../domain/events/domain-event.js';
import type { PoolConfigured, PoolEvent } from '../domain/events/pool-events.js';

/** PoolView: configuration for now; membership and demand statistics arrive with the warm-pool decisions. */
export interface PoolView {
  readonly name: string;
  readonly version: number;
  readonly config: PoolConfigured['data'] | null;
  readonly removed: boolean;
  readonly updatedAt: string | null;
}

export const initialPoolView = (name: string): PoolView => ({
  name,
  version: 0,
  config: null,
  removed: false,
  updatedAt: null,
});

export const evolvePoolView = (view: PoolView, envelope: Envelope<PoolEvent>): PoolView => {
  const base = { ...view, version: envelope.version, updatedAt: envelope.metadata.at };
  switch (envelope.event.type) {
    case 'PoolConfigured':
      return { ...base, config: envelope.event.data, removed: false };
    case 'PoolRemoved':
      return { ...base, removed: true };
  }
};
