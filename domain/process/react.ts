import type { Command } from '../commands/commands.js';
import type { Envelope } from '../events/domain-event.js';
import { machineIdFromRunnerName } from '../machine/launch-request.js';
import { parseStreamId } from '../shared/ids.js';
import type { ProcessViews } from './process-views.js';
import {
  assignRule,
  interruptedRule,
  launchFailedRule,
  launchRule,
  prepareConfigRule,
  rerunRule,
  runnerTakenRule,
  stillQueuedRule,
  terminateRule,
} from './rules.js';

/**
 * `react(views, event)`: the commands one event causes, given read models that already include it. Time is the
 * event's own `at`, so replaying a log derives the same commands byte for byte (DESIGN section 4, invariant 1).
 */
export const react = (views: ProcessViews, envelope: Envelope): ReadonlyArray<Command> => {
  const now = envelope.metadata.at;
  const id = parseStreamId(envelope.streamId)?.id ?? '';
  const { event } = envelope;
  const forMachine = (machineId: string | null, ...rules: ReadonlyArray<typeof terminateRule>) => {
    const machine = machineId === null ? undefined : views.machine(machineId);

    return machine === undefined ? [] : rules.flatMap((rule) => rule(views, machine, now));
  };
  const job = () => views.job(id);

  switch (event.type) {
    case 'RunnerRequested': {
      const current = job();

      return current === undefined ? [] : launchRule(views, current, now);
    }
    // The job's own machine, if another runner took the job, stays: it may be serving the sibling (rules.isNeeded).
    case 'JobStarted':
      return forMachine(machineIdFromRunnerName(event.data.runnerName), runnerTakenRule);
    case 'JobCompleted':
    case 'JobCancelled':
    case 'JobFailed': {
      const current = job();
      if (current === undefined) return [];
      // The machine launched for the job, and the one whose runner ran it (GitHub may have given it to another).
      const ran = machineIdFromRunnerName(current.runnerName);

      return [
        ...(event.type === 'JobCompleted' ? rerunRule(views, current, now) : []),
        ...forMachine(current.machineId, terminateRule),
        ...(ran !== current.machineId ? forMachine(ran, terminateRule) : []),
      ];
    }
    case 'JobRequeued':
      return forMachine(event.data.machineId, terminateRule);
    case 'MachineRequested':
      return forMachine(id, prepareConfigRule);
    case 'MachineLaunched':
      return forMachine(id, assignRule, terminateRule);
    case 'MachineLaunchFailed':
      return forMachine(id, launchFailedRule);
    case 'SpotInterruptionWarned':
      return forMachine(id, interruptedRule);
    case 'MachineTerminated':
      return forMachine(id, stillQueuedRule);
    default:
      return [];
  }
};
