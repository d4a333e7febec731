import type { StoredView, ViewConflict, ViewKind, ViewStore } from '../../projections/view-store.js';

/** The view store for tests and the in-process pipeline: a map, with the same conditional-write rules as the rest. */
export const createMemoryViewStore = (): ViewStore & { readonly size: number } => {
  const views = new Map<string, string>();
  const key = (kind: ViewKind, id: string) => `${kind}#${id}`;
  const read = (k: string): StoredView | undefined => {
    const text = views.get(k);

    return text === undefined ? undefined : (JSON.parse(text) as StoredView);
  };

  return {
    get size() {
      return views.size;
    },
    get: async (kind, ids) => ids.flatMap((id) => read(key(kind, id)) ?? []),
    put: async (writes) => {
      const conflicts: ViewConflict[] = [];
      for (const { view, expectedVersion } of writes) {
        const k = key(view.kind, view.id);
        const current = read(k)?.version ?? 0;
        if (current !== expectedVersion) {
          conflicts.push({ kind: 'ViewConflict', viewKind: view.kind, id: view.id, expectedVersion });
          continue;
        }
        views.set(k, JSON.stringify(view));
      }

      return conflicts;
    },
    list: async function* (kind, options = {}) {
      for (const k of [...views.keys()].filter((candidate) => candidate.startsWith(`${kind}#`))) {
        const view = read(k);
        if (view !== undefined && (options.activeOnly !== true || view.active)) yield view;
      }
    },
  };
};
