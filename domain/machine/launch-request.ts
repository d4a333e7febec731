import * as t from 'io-ts';
import { Arch, Backend, Capacity, nullable } from '../shared/codecs.js';

/**
 * What a machine is asked to be, frozen when it is claimed (`MachineRequested`): a retry after a crash must send the
 * cloud exactly the same request (EC2 answers IdempotentParameterMismatch otherwise).
 */
export const LaunchRequest = t.type({
  backend: Backend,
  capacity: Capacity,
  /** EC2 types in preference order; empty for Kubernetes and for the simulation when the label named none. */
  instanceTypes: t.array(t.string),
  arch: nullable(Arch),
  cpu: t.type({ min: t.number, max: t.number }),
  ramGiB: nullable(t.type({ min: t.number, max: nullable(t.number) })),
  diskGiB: nullable(t.number),
  /** The exact label the runner registers under (SPEC lesson 2: carried through every re-dispatch). */
  label: t.string,
  runnerName: t.string,
  pool: nullable(t.string),
  repo: nullable(t.string),
  jobId: nullable(t.string),
  attempt: nullable(t.number),
});
export type LaunchRequest = t.TypeOf<typeof LaunchRequest>;

/** Runner names are derived from the machine id so that a runner seen in a webhook maps back to its machine. */
export const RUNNER_NAME_PREFIX = 'runs-fleet-';
export const runnerNameFor = (machineId: string): string => `${RUNNER_NAME_PREFIX}${machineId}`;

export const machineIdFromRunnerName = (runnerName: string | null): string | null => {
  if (runnerName === null || !runnerName.startsWith(RUNNER_NAME_PREFIX)) return null;
  const id = runnerName.slice(RUNNER_NAME_PREFIX.length);

  return /^[a-z2-7]{32}$/.test(id) ? id : null;
};
