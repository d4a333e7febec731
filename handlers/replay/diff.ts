import type { Command } from '../../domain/commands/commands.js';
import type { DomainEvent } from '../../domain/events/domain-event.js';
import { isDeepStrictEqual } from 'node:util';
import type { ReplayStep } from './engine.js';

/**
 * `replay --diff`: the commands the current code derives, against what was recorded as carried out. Machine-side
 * outcome events carry the whole command; job-side outcomes (`RunnerAssigned`, `JobRequeued`, `JobFailed`,
 * `JobRerunRequested`) carry its commandId in their metadata and its data in theirs, so their payloads are compared
 * field by field on what the event holds.
 */
export interface RecordedCommand {
  readonly commandId: string;
  readonly type: string;
  /** The command's data as the outcome recorded it. */
  readonly data: unknown;
  /** True when the outcome holds the whole command (compared entirely); false: only the fields in `data`. */
  readonly whole: boolean;
  readonly streamId: string;
  readonly version: number;
}

export type Difference =
  | {
      readonly kind: 'changed';
      readonly commandId: string;
      readonly type: string;
      readonly recorded: RecordedCommand;
      readonly derived: Command;
      readonly at: DerivedAt;
    }
  | {
      readonly kind: 'not-derived';
      readonly commandId: string;
      readonly type: string;
      readonly recorded: RecordedCommand;
    }
  | {
      readonly kind: 'not-carried-out';
      readonly commandId: string;
      readonly type: string;
      readonly derived: Command;
      readonly at: DerivedAt;
    };

export interface DerivedAt {
  readonly streamId: string;
  readonly version: number;
}

/** What one outcome event says was carried out. */
export const recordedCommand = (
  event: DomainEvent,
  commandId: string | undefined,
): Omit<RecordedCommand, 'streamId' | 'version'> | null => {
  switch (event.type) {
    case 'MachineRequested':
    case 'MachineLaunchRetried':
    case 'MachineLaunched':
    case 'MachineLaunchFailed':
    case 'RunnerConfigPrepared':
      return {
        commandId: event.data.command.commandId,
        type: event.data.command.type,
        data: event.data.command,
        whole: true,
      };
    case 'MachineTerminated':
      return event.data.command === null
        ? null
        : {
            commandId: event.data.command.commandId,
            type: event.data.command.type,
            data: event.data.command,
            whole: true,
          };
    case 'RunnerAssigned': {
      const { attempt, machineId, runnerName } = event.data;
      return commandId === undefined
        ? null
        : { commandId, type: 'AssignRunner', data: { attempt, machineId, runnerName }, whole: false };
    }
    case 'JobRequeued':
      return commandId === undefined ? null : { commandId, type: 'RequeueJob', data: event.data, whole: false };
    case 'JobFailed':
      return commandId === undefined ? null : { commandId, type: 'FailJob', data: event.data, whole: false };
    case 'JobRerunRequested':
      return { commandId: event.data.commandId, type: 'RerunJob', data: {}, whole: false };
    default:
      return null;
  }
};

/** Commands that change nothing outside the orchestrator's own streams may legitimately find nothing to do. */
const MAY_BE_NOOP = new Set<string>([]);

const matches = (recorded: RecordedCommand, derived: Command): boolean => {
  if (recorded.whole) return isDeepStrictEqual(recorded.data, derived);
  if (recorded.type !== derived.type) return false;
  const data = derived.data as Record<string, unknown>;
  return Object.entries(recorded.data as Record<string, unknown>).every(([key, value]) =>
    isDeepStrictEqual(data[key], value),
  );
};

/** Every outcome event is checked (a launch's claim and its result both carry the command). */
export const diffCommands = (steps: ReadonlyArray<ReplayStep>): ReadonlyArray<Difference> => {
  const derived = new Map<string, { readonly command: Command; readonly at: DerivedAt }>();
  const recorded = new Map<string, RecordedCommand[]>();
  for (const step of steps) {
    for (const command of step.commands)
      if (!derived.has(command.commandId))
        derived.set(command.commandId, { command, at: { streamId: step.streamId, version: step.version } });
    const outcome = step.event === undefined ? null : recordedCommand(step.event, step.commandId);
    if (outcome === null) continue;
    const entry = { ...outcome, streamId: step.streamId, version: step.version };
    recorded.set(outcome.commandId, [...(recorded.get(outcome.commandId) ?? []), entry]);
  }
  const differences: Difference[] = [];
  for (const [commandId, records] of recorded) {
    const now = derived.get(commandId);
    const [firstRecord] = records;
    if (now === undefined) {
      if (firstRecord !== undefined)
        differences.push({ kind: 'not-derived', commandId, type: firstRecord.type, recorded: firstRecord });
      continue;
    }
    // One difference per command: the first outcome event whose payload differs (all of them are checked).
    const differing = records.find((record) => !matches(record, now.command));
    if (differing !== undefined)
      differences.push({
        kind: 'changed',
        commandId,
        type: differing.type,
        recorded: differing,
        derived: now.command,
        at: now.at,
      });
  }
  for (const [commandId, { command, at }] of derived)
    if (!recorded.has(commandId) && !MAY_BE_NOOP.has(command.type))
      differences.push({ kind: 'not-carried-out', commandId, type: command.type, derived: command, at });
  return differences;
};
