import type { StoredView, ViewKind } from '../../projections/view-store.js';
import { VIEW_ATTRIBUTES as A, VIEWS_TABLE_PK, VIEWS_TABLE_SK } from './table-schema.js';

/**
 * The item stored for one view, before marshalling. The body goes through JSON first, so every store keeps the same
 * value (the memory store is JSON, SQLite stores JSON text): `undefined` properties vanish, `undefined` in an array
 * becomes null (lib-dynamodb would drop it and shift the rest), `toJSON` applies, a BigInt or a cycle throws before
 * anything is sent.
 *
 * Limits of a map body (each an error from `put`, never a silent change): an item is at most 400 KB (attribute names
 * count; a job or machine view is well under 1 KB), at most 32 nesting levels, no empty or `__proto__` map keys, and
 * numbers within ±Number.MAX_SAFE_INTEGER (lib-dynamodb refuses larger ones) and not below 1e-130 in magnitude.
 */
export const toViewItem = (view: StoredView): Record<string, unknown> => {
  const json: string | undefined = JSON.stringify(view.body);

  return {
    [VIEWS_TABLE_PK]: view.kind,
    [VIEWS_TABLE_SK]: view.id,
    [A.version]: view.version,
    [A.active]: view.active,
    ...(json === undefined ? {} : { [A.body]: JSON.parse(json) as unknown }),
    ...(view.active ? { [A.activeKind]: view.kind } : {}),
  };
};

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** An unmarshalled item → the view it holds, or why it holds none. */
export const decodeViewItem = (item: unknown): StoredView | string => {
  if (!isRecord(item)) return 'item is not a map';
  const kind = item[VIEWS_TABLE_PK];
  const id = item[VIEWS_TABLE_SK];
  const version = item[A.version];
  const active = item[A.active];
  if (typeof kind !== 'string') return `${VIEWS_TABLE_PK} is not a string`;
  if (typeof id !== 'string') return `${VIEWS_TABLE_SK} is not a string`;
  if (typeof version !== 'number' || !Number.isSafeInteger(version)) return `${A.version} is not an integer`;
  if (typeof active !== 'boolean') return `${A.active} is not a boolean`;

  return { kind: kind as ViewKind, id, version, active, body: item[A.body] };
};
