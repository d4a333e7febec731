import * as t from 'io-ts';
import { Arch } from '../catalog/index.js';

export const Backend = t.keyof({ ec2: null, k8s: null });
export type Backend = t.TypeOf<typeof Backend>;

/**
 * What a job asked for, decoded from its `runs-on` labels (SPEC section 1 plus `backend=`). Embedded in `JobQueued`,
 * so its shape is part of the event log: add fields only as optional-by-null, never rename.
 */
export const JobSpec = t.type({
  /** The exact label that matched (marker or alias): the runner must register under it (lesson 2). */
  label: t.string,
  /** Set only when an alias rule matched; then equal to `label`. */
  aliasLabel: t.union([t.string, t.null]),
  /** From the legacy `runs-fleet=<run-id>` marker; informational, the webhook's run id is authoritative. */
  runId: t.union([t.string, t.null]),
  cpu: t.type({ min: t.number, max: t.number }),
  /** null = no ram key; max null = a minimum only. */
  ram: t.union([t.type({ min: t.number, max: t.union([t.number, t.null]) }), t.null]),
  arch: t.union([Arch, t.null]),
  /** The families the label named, lowercase; [] = the defaults for the arch. */
  families: t.readonlyArray(t.string),
  gen: t.union([t.number, t.null]),
  disk: t.union([t.number, t.null]),
  pool: t.union([t.string, t.null]),
  spot: t.boolean,
  /** null = the orchestrator's configured default. */
  backend: t.union([Backend, t.null]),
  /** EC2 types in `selectInstanceTypes` order, smallest first; [] for `backend=k8s`. */
  instanceTypes: t.readonlyArray(t.string),
  /** Segments that were ignored, so users can see why a key had no effect. */
  warnings: t.readonlyArray(t.string),
});
export type JobSpec = t.TypeOf<typeof JobSpec>;
