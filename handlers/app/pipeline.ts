import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../../domain/commands/commands.js';
import { decodeRecorded, type DecodeFailure, type Envelope } from '../../domain/events/domain-event.js';
import type { CommandBus } from '../../domain/ports/command-bus.js';
import { react } from '../../domain/process/react.js';
import { resume } from '../../domain/process/resume.js';
import type { EventStore, RecordedEvent } from '../../domain/store/event-store.js';
import type { ReadModels } from '../../projections/read-models.js';

/**
 * The projection-and-decision core every consumer shares (SQLite change feed, DynamoDB stream poller, Lambda
 * handler): decode → version-guarded apply → react → dispatch. Delivery is at least once and unordered across
 * streams: a repeat is a no-op, a gap re-reads the stream from the store, and a record that cannot be decoded
 * quarantines its stream without blocking the others.
 */
export interface PipelineHooks {
  /** Every event applied to the read models (not the duplicates), with the models as they now are. */
  readonly onApplied?: (envelope: Envelope, models: ReadModels) => void;
  readonly onQuarantine?: (failure: DecodeFailure, raw: RecordedEvent) => void;
  readonly onCommands?: (commands: ReadonlyArray<Command>, cause: RecordedEvent) => void;
}

export type HandleOutcome = 'applied' | 'duplicate' | 'quarantined' | 'caught-up-gap';

export interface Pipeline {
  handle(recorded: RecordedEvent): Promise<HandleOutcome>;
  /** Re-derives pending commands from the read models (after a restart) and dispatches them. */
  resume(now: string): Promise<ReadonlyArray<Command>>;
}

export const createPipeline = (
  store: EventStore,
  models: ReadModels,
  bus: CommandBus,
  hooks: PipelineHooks = {},
): Pipeline => {
  const applyOne = async (recorded: RecordedEvent): Promise<HandleOutcome | 'gap'> => {
    const decoded = decodeRecorded(recorded);
    if (E.isLeft(decoded)) {
      const reason =
        decoded.left.kind === 'UnknownEventType' ? `unknown event type ${decoded.left.type}` : decoded.left.reason;
      models.quarantine({ streamId: recorded.streamId, version: recorded.version, reason });
      hooks.onQuarantine?.(decoded.left, recorded);

      return 'quarantined';
    }
    const outcome = models.apply(decoded.right);
    if (outcome.kind === 'gap') return 'gap';
    if (outcome.kind !== 'apply') return outcome.kind;
    hooks.onApplied?.(decoded.right, models);
    const commands = react(models, decoded.right);
    if (commands.length > 0) {
      hooks.onCommands?.(commands, recorded);
      await bus.dispatch(commands);
    }

    return 'applied';
  };

  const handle = async (recorded: RecordedEvent): Promise<HandleOutcome> => {
    const first = await applyOne(recorded);
    if (first !== 'gap') return first;
    // Re-read the stream from the first missing version: the table, not the feed, is the source of truth.
    const missing = await store.read(recorded.streamId, { fromVersion: models.cursor(recorded.streamId) + 1 });
    for (const event of missing) {
      const outcome = await applyOne(event);
      if (outcome === 'quarantined' || outcome === 'gap') break;
    }

    return 'caught-up-gap';
  };

  return {
    handle,
    resume: async (now) => {
      const commands = resume(models, models, now);
      if (commands.length > 0) await bus.dispatch(commands);

      return commands;
    },
  };
};
