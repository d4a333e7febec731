import * as E from 'fp-ts/lib/Either.js';
import type { ProvisionCommand } from '../../../domain/commands/commands.js';
import type { MachineEvent } from '../../../domain/events/machine-events.js';
import { claimLaunch } from '../../../domain/machine/machine-decide.js';
import { launchSettled } from '../../../domain/machine/machine-state.js';
import type { ComputePort } from '../../../domain/ports/compute.js';
import { machineStreamId } from '../../../domain/shared/ids.js';
import type { EventMetadata, EventStore } from '../../../domain/store/event-store.js';
import { decideAndAppend } from '../decide-and-append.js';
import { machineDecider } from '../deciders.js';

/**
 * Carries out LaunchMachine / CreateRunnerPod (DESIGN section 3): (1) claim by a conditional append to the machine
 * stream, once, so that of concurrent workers one proceeds; (2) look the commandId up in the cloud before creating
 * (a worker that died after creating must not create twice), then create with the request as frozen in the claim;
 * (3) append the outcome, carrying the command.
 */
export type LaunchResult = 'launched' | 'adopted' | 'failed' | 'lost-claim' | 'already-settled';

const claimDecider = machineDecider<ProvisionCommand>((command, state) => {
  const claim = claimLaunch(command, state);

  return claim.kind === 'settled' ? [] : claim.events;
});

const settledDecider = machineDecider<MachineEvent>((outcome, state) => (launchSettled(state) ? [] : [outcome]));

export const executeLaunch = async (
  store: EventStore,
  compute: ComputePort,
  command: ProvisionCommand,
  at: () => string,
): Promise<LaunchResult> => {
  const streamId = machineStreamId(command.data.machineId);
  const metadata = (): EventMetadata => ({ at: at(), commandId: command.commandId, causationId: command.commandId });
  const claim = await decideAndAppend(store, claimDecider, streamId, command, metadata(), { maxRetries: 1 });
  if (claim.kind === 'unchanged') return 'already-settled';
  if (claim.kind !== 'appended') return 'lost-claim';
  const first = claim.events[0];
  const frozen =
    first?.type === 'MachineRequested' || first?.type === 'MachineLaunchRetried' ? first.data.command : command;

  const existing = await compute.findByCommandId(frozen.commandId);
  const outcome: MachineEvent = await (async () => {
    if (existing !== null)
      return { type: 'MachineLaunched', data: { ...existing, adopted: true, command: frozen } } as const;
    const launched = await compute.launch(frozen);
    if (E.isRight(launched))
      return { type: 'MachineLaunched', data: { ...launched.right, adopted: false, command: frozen } } as const;
    const { errorClass, message, typesTried } = launched.left;

    return {
      type: 'MachineLaunchFailed',
      data: {
        errorClass,
        message,
        typesTried: [...typesTried],
        capacity: frozen.data.request.capacity,
        command: frozen,
      },
    } as const;
  })();
  const known = { state: claim.state, version: claim.version };
  const recorded = await decideAndAppend(store, settledDecider, streamId, outcome, metadata(), { known });
  if (recorded.kind !== 'appended') return 'already-settled';
  if (outcome.type === 'MachineLaunchFailed') return 'failed';

  return existing !== null ? 'adopted' : 'launched';
};
