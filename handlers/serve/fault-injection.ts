import type { ComputePort } from '../../domain/ports/compute.js';
import type { GithubPort } from '../../domain/ports/github.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import type { EventStore } from '../../domain/store/index.js';

/**
 * The fault-injection port of the composition root (issue 7): wrappers the caller of `startService` may put around
 * the ports the service uses, so a soak can make the store, the cloud or GitHub fail, answer slowly or kill the
 * process at a chosen point, and a test can wire a deliberately broken part in. Nothing in the production paths knows
 * of faults: without wrappers every port is used as built. `runs-fleet serve` never sets them.
 */
export interface FaultInjection {
  /** The store every writer of this service appends through: the webhook handler, the executors, lifecycle reports. */
  readonly store?: (store: EventStore) => EventStore;
  /** Where machines come from, as the executors see it. */
  readonly compute?: (compute: ComputePort) => ComputePort;
  /** GitHub, as the executors see it. */
  readonly github?: (github: GithubPort) => GithubPort;
  readonly configs?: (configs: RunnerConfigStore) => RunnerConfigStore;
}

export interface InjectedPorts {
  readonly compute: ComputePort;
  readonly github: GithubPort;
  readonly configs: RunnerConfigStore;
}

const as = <T>(wrap: ((port: T) => T) | undefined, port: T): T => (wrap === undefined ? port : wrap(port));

export const faultyStore = (faults: FaultInjection, store: EventStore): EventStore => as(faults.store, store);

export const faultyPorts = (faults: FaultInjection, ports: InjectedPorts): InjectedPorts => ({
  compute: as(faults.compute, ports.compute),
  github: as(faults.github, ports.github),
  configs: as(faults.configs, ports.configs),
});
