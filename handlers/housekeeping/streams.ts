import * as E from 'fp-ts/lib/Either.js';
import { decodeRecorded, type Envelope } from '../../domain/events/domain-event.js';
import type { JobEvent } from '../../domain/events/job-events.js';
import type { MachineEvent } from '../../domain/events/machine-events.js';
import type { JobIdentity } from '../../domain/housekeeping/index.js';
import { jobStreamId, machineStreamId, poolStreamId } from '../../domain/shared/ids.js';
import type { EventMetadata, EventStore } from '../../domain/store/event-store.js';
import { evolveJobView, initialJobView, type JobView } from '../../projections/job-view.js';
import { evolveMachineView, initialMachineView, type MachineView } from '../../projections/machine-view.js';
import { evolvePoolView, initialPoolView, type PoolView } from '../../projections/pool-view.js';
import type { PoolEvent } from '../../domain/events/pool-events.js';

/**
 * The re-reads every housekeeping decision rests on: a machine or job folded from its own stream just now (consistent
 * reads), the same way the read models fold it, with the version a decision is appended at. A stream holding an
 * event this version cannot read is never judged: uncertainty leaves things alive.
 */
export class UnreadableStreamError extends Error {
  constructor(
    readonly streamId: string,
    reason: string,
  ) {
    super(`${streamId}: ${reason}`);
    this.name = 'UnreadableStreamError';
  }
}

const envelopes = async (store: EventStore, streamId: string): Promise<ReadonlyArray<Envelope>> =>
  (await store.read(streamId)).map((recorded) => {
    const decoded = decodeRecorded(recorded);
    if (E.isLeft(decoded)) throw new UnreadableStreamError(streamId, decoded.left.kind);

    return decoded.right;
  });

export interface FreshMachine {
  readonly machineId: string;
  readonly view: MachineView & { readonly machineId: string };
  readonly last: MachineEvent | undefined;
  /** The stream's version now (0: no stream). */
  readonly version: number;
}

export const readMachine = async (store: EventStore, machineId: string): Promise<FreshMachine> => {
  let view = initialMachineView;
  let last: MachineEvent | undefined;
  for (const envelope of await envelopes(store, machineStreamId(machineId))) {
    view = evolveMachineView(view, envelope as Envelope<MachineEvent>);
    last = envelope.event as MachineEvent;
  }

  return { machineId, view: { ...view, machineId }, last, version: view.version };
};

export interface FreshJob {
  readonly view: JobView;
  readonly identity: JobIdentity;
  readonly version: number;
}

const identityOf = (event: JobEvent, current: JobIdentity | null): JobIdentity | null => {
  switch (event.type) {
    case 'JobQueued':
    case 'JobRejected':
    case 'JobStarted':
      return current ?? { runId: event.data.runId, runAttempt: event.data.runAttempt };
    default:
      return current;
  }
};

export const readJob = async (store: EventStore, jobId: string): Promise<FreshJob> => {
  let view = initialJobView;
  let identity: JobIdentity | null = null;
  for (const envelope of await envelopes(store, jobStreamId(jobId))) {
    view = evolveJobView(view, envelope as Envelope<JobEvent>);
    identity = identityOf(envelope.event as JobEvent, identity);
  }

  return { view, identity: identity ?? { runId: view.runId ?? '0', runAttempt: 1 }, version: view.version };
};

export const readPool = async (store: EventStore, name: string): Promise<PoolView> => {
  let view = initialPoolView(name);
  for (const envelope of await envelopes(store, poolStreamId(name)))
    view = evolvePoolView(view, envelope as Envelope<PoolEvent>);

  return view;
};

/** Appends at the version the decision was made on; false when the stream moved (the decision is void). */
export const appendAt = async (
  store: EventStore,
  at: { readonly streamId: string; readonly version: number },
  events: ReadonlyArray<{ readonly type: string; readonly data: unknown }>,
  metadata: EventMetadata,
): Promise<boolean> =>
  E.isRight(
    await store.append(
      at.streamId,
      events.map((event) => ({ type: event.type, data: event.data, metadata })),
      at.version,
    ),
  );

const OUTCOME_ATTEMPTS = 5;

/** Appends an outcome after whatever the stream holds now (outcomes do not depend on the state they follow). */
export const appendOutcome = async (
  store: EventStore,
  streamId: string,
  event: { readonly type: string; readonly data: unknown },
  metadata: EventMetadata,
): Promise<boolean> => {
  for (let attempt = 0; attempt < OUTCOME_ATTEMPTS; attempt += 1) {
    const head = (await store.read(streamId)).at(-1)?.version ?? 0;
    if (await appendAt(store, { streamId, version: head }, [event], metadata)) return true;
  }

  return false;
};
