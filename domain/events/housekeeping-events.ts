import * as t from 'io-ts';
import { DeregisterRunner, TerminateMachines } from '../commands/commands.js';
import { nullable } from '../shared/codecs.js';
import { eventCodec } from './event-codec.js';

/**
 * Housekeeping decisions (DESIGN section 3: a decision taken on a timer is appended to the stream it concerns before
 * anything is done). They live on the machine stream they are about, appended at the version the decision was made
 * on: a decision made on a state that has moved since conflicts instead of acting. Each carries the command it is
 * carried out by, whose cause is the decision event itself.
 */

/** A machine launched for a job attempt whose runner has not taken a job within the limit (SPEC section 6). */
export const MachineUnconfirmed = eventCodec(
  'MachineUnconfirmed',
  t.type({
    jobId: t.string,
    attempt: t.number,
    /** Since when the runner was expected: the launch, or the assignment to the job if later. */
    since: t.string,
    minutes: t.number,
    runnerRegistered: t.boolean,
    command: TerminateMachines,
  }),
);
export type MachineUnconfirmed = t.TypeOf<typeof MachineUnconfirmed>;

export const OrphanReason = t.keyof({
  /** The cloud has a machine with our managed tag whose stream holds nothing. */
  'unknown-to-us': null,
  /** Our records say it ended (terminated, or its launch failed) but the cloud still has it. */
  'ended-in-our-records': null,
  /** Its job is over and its runner serves no live job. */
  'not-needed': null,
  /** Neither a job nor a pool: nothing can ever use it. */
  'no-job-no-pool': null,
  /** An unclaimed member of a pool that was removed. */
  'pool-removed': null,
});
export type OrphanReason = t.TypeOf<typeof OrphanReason>;

/** A machine the cloud still runs (or keeps stopped) that nothing of ours needs, past the grace period. */
export const MachineOrphaned = eventCodec(
  'MachineOrphaned',
  t.type({
    reason: OrphanReason,
    cloudId: t.string,
    cloudState: t.string,
    /** The last sign of life in the cloud or in our records; the grace period runs from it. */
    idleSince: t.string,
    minutes: t.number,
    command: TerminateMachines,
  }),
);
export type MachineOrphaned = t.TypeOf<typeof MachineOrphaned>;

/** A GitHub runner registration left offline by this (ended or unknown) machine (SPEC lesson 12). */
export const GhostRunnerFound = eventCodec(
  'GhostRunnerFound',
  t.type({
    repo: t.string,
    runnerId: t.number,
    runnerName: t.string,
    /** What our records say of the machine: `terminated`, `failed`, or `unknown` (no stream). */
    machineStatus: t.string,
    command: DeregisterRunner,
  }),
);
export type GhostRunnerFound = t.TypeOf<typeof GhostRunnerFound>;

/** Outcome: the registration is gone (deleted now, or already gone at GitHub). */
export const GhostRunnerDeleted = eventCodec(
  'GhostRunnerDeleted',
  t.type({
    repo: t.string,
    runnerId: t.number,
    runnerName: t.string,
    note: nullable(t.string),
    command: DeregisterRunner,
  }),
);
export type GhostRunnerDeleted = t.TypeOf<typeof GhostRunnerDeleted>;

/** Registered in the machine stream's union (machine-events.ts), so every machine fold and decider reads them. */
export const HousekeepingMachineEvent = t.union([
  MachineUnconfirmed,
  MachineOrphaned,
  GhostRunnerFound,
  GhostRunnerDeleted,
]);
export type HousekeepingMachineEvent = t.TypeOf<typeof HousekeepingMachineEvent>;
