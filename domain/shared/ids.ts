import * as t from 'io-ts';

/**
 * Branded identifiers and the one place stream names are built (STYLE: never concatenate stream ids inline).
 * The brands stop a machine id being passed where a job id is expected; the codecs check only the shape.
 */

interface JobIdBrand {
  readonly JobId: unique symbol;
}
/** GitHub's numeric workflow-job id, kept as a string: it exceeds 2^53 in practice for some installations. */
export const JobId = t.brand(t.string, (s): s is t.Branded<string, JobIdBrand> => /^[0-9]+$/.test(s), 'JobId');
export type JobId = t.TypeOf<typeof JobId>;

interface MachineIdBrand {
  readonly MachineId: unique symbol;
}
/** Our own machine id: the commandId of the command that asked for the machine (cloud ids do not exist yet then). */
export const MachineId = t.brand(
  t.string,
  (s): s is t.Branded<string, MachineIdBrand> => /^[a-z2-7]{32}$/.test(s),
  'MachineId',
);
export type MachineId = t.TypeOf<typeof MachineId>;

interface PoolNameBrand {
  readonly PoolName: unique symbol;
}
export const POOL_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$/;
export const PoolName = t.brand(
  t.string,
  (s): s is t.Branded<string, PoolNameBrand> => POOL_NAME_PATTERN.test(s),
  'PoolName',
);
export type PoolName = t.TypeOf<typeof PoolName>;

export type StreamCategory = 'job' | 'machine' | 'pool';

export const jobStreamId = (id: JobId | string): string => `job#${id}`;
export const machineStreamId = (id: MachineId | string): string => `machine#${id}`;
export const poolStreamId = (name: PoolName | string): string => `pool#${name}`;

/** Splits `category#id`; null for anything else (a record from a foreign writer, for instance). */
export const parseStreamId = (streamId: string): { category: StreamCategory; id: string } | null => {
  const at = streamId.indexOf('#');
  if (at <= 0) return null;
  const category = streamId.slice(0, at);
  const id = streamId.slice(at + 1);
  if (id === '' || (category !== 'job' && category !== 'machine' && category !== 'pool')) return null;

  return { category, id };
};

/** Coerces an already-validated string; used where ids come from our own derivations. */
export const asJobId = (s: string): JobId => s as JobId;
export const asMachineId = (s: string): MachineId => s as MachineId;
