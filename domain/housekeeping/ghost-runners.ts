import { machineIdFromRunnerName } from '../machine/launch-request.js';
import type { GithubRunner } from '../ports/github.js';
import { keep, type Keep } from './verdict.js';
import type { MachineFacts } from './views.js';

/**
 * Ghost runners (SPEC lesson 12): registrations our machines left at GitHub when they died before (or without)
 * deregistering. Only a runner that is ours by name (`runs-fleet-<machineId>`, so the Go fleet's
 * `runs-fleet-runner-…` and anyone else's are never touched), offline, not busy, whose machine has ended in our
 * records or is unknown to them, and which the cloud does not list as alive. Offline alone proves nothing: a runner is
 * offline while its machine boots or stands by, which is why the machine decides, not the runner.
 */
export type GhostVerdict =
  { readonly kind: 'ghost'; readonly machineId: string; readonly machineStatus: string } | Keep;

export const ghostVerdict = (
  runner: GithubRunner,
  machine: MachineFacts | undefined,
  aliveInCloud: boolean,
): GhostVerdict => {
  const machineId = machineIdFromRunnerName(runner.name);
  if (machineId === null) return keep('not one of our runner names');
  if (runner.status !== 'offline') return keep('online');
  if (runner.busy) return keep('busy');
  if (aliveInCloud) return keep('its machine is alive in the cloud');
  const status = machine?.status ?? 'unknown';
  if (status !== 'terminated' && status !== 'failed' && status !== 'unknown') return keep(`its machine is ${status}`);

  return { kind: 'ghost', machineId, machineStatus: status };
};
