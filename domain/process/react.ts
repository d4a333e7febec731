import type { Command } from '../commands/commands.js';
import type { Envelope } from '../events/domain-event.js';
import { machineIdFromRunnerName } from '../machine/launch-request.js';
import { parseStreamId } from '../shared/ids.js';
import type { ProcessViews } from './process-views.js';
import {
  assignRule,
  claimedStartRule,
  interruptedRule,
  launchFailedRule,
  launchRule,
  poolMemberFailedRule,
  poolRule,
  prepareConfigRule,
  rerunRule,
  runnerTakenRule,
  stillQueuedRule,
  unschedulableRule,
  terminateRule,
} from './rules.js';

/**
 * `react(views, event)`: the commands one event causes, given read models that already include it. Time is the
 * event's own `at`, so replaying a log derives the same commands byte for byte (DESIGN section 4, invariant 1).
 */
/** The commands `rules` derive for a machine, if it is known. Not a closure in `react`: that runs once per event. */
const forMachine = (
  views: ProcessViews,
  now: string,
  machineId: string | null,
  ...rules: ReadonlyArray<typeof terminateRule>
): ReadonlyArray<Command> => {
  const machine = machineId === null ? undefined : views.machine(machineId);
  if (machine === undefined) return [];
  if (rules.length === 1) return (rules[0] as typeof terminateRule)(views, machine, now);
  const commands: Command[] = [];
  for (const rule of rules) commands.push(...rule(views, machine, now));

  return commands;
};

export const react = (views: ProcessViews, envelope: Envelope): ReadonlyArray<Command> => {
  const now = envelope.metadata.at;
  const id = parseStreamId(envelope.streamId)?.id ?? '';
  const { event } = envelope;

  switch (event.type) {
    // A missed pool claim leaves the attempt waiting: the launch rule now cold-starts it.
    case 'RunnerRequested':
    case 'PoolClaimMissed': {
      const current = views.job(id);

      return current === undefined ? [] : launchRule(views, current, now);
    }
    // The job's own machine, if another runner took the job, stays: it may be serving the sibling (rules.isNeeded).
    case 'JobStarted':
      return forMachine(views, now, machineIdFromRunnerName(event.data.runnerName), runnerTakenRule);
    case 'JobCompleted':
    case 'JobCancelled':
    case 'JobFailed': {
      const current = views.job(id);
      if (current === undefined) return [];
      // The machine launched for the job, and the one whose runner ran it (GitHub may have given it to another).
      const ran = machineIdFromRunnerName(current.runnerName);

      return [
        ...(event.type === 'JobCompleted' ? rerunRule(views, current, now) : []),
        ...forMachine(views, now, current.machineId, terminateRule),
        ...(ran !== current.machineId ? forMachine(views, now, ran, terminateRule) : []),
      ];
    }
    case 'JobRequeued':
      return forMachine(views, now, event.data.machineId, terminateRule);
    case 'MachineRequested':
      return forMachine(views, now, id, prepareConfigRule);
    case 'MachineLaunched':
      return forMachine(views, now, id, assignRule, terminateRule);
    case 'MachineLaunchFailed':
      return forMachine(views, now, id, launchFailedRule);
    case 'SpotInterruptionWarned':
      return forMachine(views, now, id, interruptedRule);
    case 'MachineTerminated':
      return forMachine(views, now, id, stillQueuedRule);
    case 'MachineUnschedulable':
      return forMachine(views, now, id, unschedulableRule);
    // Warm pools: a claim prepares the runner, assigns a live member, starts a stopped one; a member the claim
    // finds with its job already gone is not needed.
    case 'MachineClaimed':
      return forMachine(views, now, id, prepareConfigRule, assignRule, claimedStartRule, terminateRule);
    // EC2 reports a started instance as a state change to running (EventBridge), the simulation as MachineStarted.
    case 'MachineStarted':
    case 'MachineRunning':
      return forMachine(views, now, id, assignRule);
    case 'MachineStopped':
      return forMachine(views, now, id, claimedStartRule);
    case 'MachineStartFailed':
      return forMachine(views, now, id, poolMemberFailedRule);
    case 'PoolReconciled': {
      const pool = views.pool?.(id);

      return pool === undefined ? [] : poolRule(views, pool, now);
    }
    default:
      return [];
  }
};
