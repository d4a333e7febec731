import type { LaunchMachine, ProvisionCommand } from '../../domain/commands/commands.js';
import { runnerNameFor, type LaunchRequest } from '../../domain/machine/launch-request.js';
import { commandIdFor } from '../../domain/shared/command-id.js';

/**
 * Test helpers for the simulation's suites (and any suite that launches simulated machines): a LaunchMachine shaped
 * like the ones the process builds, with a valid machine id derived from a cause.
 */
export const launchCommand = (
  n: number,
  request: Partial<LaunchRequest> = {},
  type: ProvisionCommand['type'] = 'LaunchMachine',
): ProvisionCommand => {
  const machineId = commandIdFor({ streamId: `job#${String(1000 + n)}`, version: 1 }, 'launch-runner');
  const command: LaunchMachine = {
    type: 'LaunchMachine',
    commandId: machineId,
    cause: { streamId: `job#${String(1000 + n)}`, version: 1 },
    data: {
      machineId,
      request: {
        backend: 'sim',
        capacity: 'spot',
        instanceTypes: ['c7g.xlarge', 'm7g.xlarge'],
        arch: 'arm64',
        cpu: { min: 4, max: 8 },
        ramGiB: null,
        diskGiB: null,
        label: 'runs-fleet/cpu=4',
        runnerName: runnerNameFor(machineId),
        pool: null,
        repo: 'acme/widgets',
        jobId: String(1000 + n),
        attempt: 1,
        ...request,
      },
    },
  };

  return type === 'LaunchMachine' ? command : { ...command, type: 'CreateRunnerPod' };
};
