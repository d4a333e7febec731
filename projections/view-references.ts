import type { RecordedEvent } from '../domain/store/event-store.js';
import { machineIdFromRunnerName } from '../domain/machine/launch-request.js';
import { machineIdForAttempt } from '../domain/process/command-builders.js';
import { parseStreamId } from '../domain/shared/ids.js';
import type { ReadModels } from './read-models.js';
import type { ViewKind } from './view-store.js';

/**
 * Which stored views handling one record needs, given what is loaded so far: its own view, then whatever that view
 * points at (a job's machine, a machine's job, the job a runner took, the breaker of the type). A consumer that keeps
 * views in a `ViewStore` loads these before it folds, until nothing new is referenced.
 */
export interface ViewKey {
  readonly kind: ViewKind;
  readonly id: string;
}

const runnerOf = (recorded: RecordedEvent): string | null => {
  const data = recorded.data as { runnerName?: unknown } | null;

  return typeof data?.runnerName === 'string' ? data.runnerName : null;
};

const machineKeys = (models: ReadModels, machineId: string | null): ViewKey[] => {
  if (machineId === null) return [];
  const machine = models.machine(machineId);
  const use = models.runnerUse(machineId);
  const keys: ViewKey[] = [
    { kind: 'machine', id: machineId },
    { kind: 'runner-use', id: machineId },
  ];
  if (machine?.jobId) keys.push({ kind: 'job', id: machine.jobId }, { kind: 'pool-claim', id: machine.jobId });
  if (machine?.instanceType) keys.push({ kind: 'breaker', id: machine.instanceType });
  if (use !== undefined) keys.push({ kind: 'job', id: use.jobId });

  return keys;
};

/** A pool and its members: what the claim rule and the pool's commands read. */
const poolKeys = (models: ReadModels, name: string | null | undefined): ViewKey[] => {
  if (name === null || name === undefined) return [];
  const members = models.pool(name)?.members ?? [];

  return [{ kind: 'pool', id: name }, ...members.map((id) => ({ kind: 'machine' as const, id }))];
};

const jobKeys = (models: ReadModels, jobId: string): ViewKey[] => {
  const job = models.job(jobId);
  const primaryType = job?.spec?.instanceTypes[0];
  const claim = models.poolClaim(jobId);

  return [
    { kind: 'job', id: jobId },
    ...machineKeys(models, job?.machineId ?? null),
    ...machineKeys(models, job === undefined ? null : machineIdForAttempt(job)),
    ...(primaryType === undefined ? [] : [{ kind: 'breaker' as const, id: primaryType }]),
    { kind: 'pool-claim', id: jobId },
    ...machineKeys(models, claim?.machineId ?? null),
    ...poolKeys(models, job?.spec?.pool),
  ];
};

/** A claim names its job before the machine view does: load the job's claim index it is about to update. */
const claimKeys = (recorded: RecordedEvent): ViewKey[] => {
  const jobId = recorded.type === 'MachineClaimed' ? (recorded.data as { jobId?: unknown } | null)?.jobId : undefined;

  return typeof jobId === 'string'
    ? [
        { kind: 'job', id: jobId },
        { kind: 'pool-claim', id: jobId },
      ]
    : [];
};

export const referencedKeys = (models: ReadModels, recorded: RecordedEvent): ReadonlyArray<ViewKey> => {
  const stream = parseStreamId(recorded.streamId);
  if (stream === null) return [];
  const keys =
    stream.category === 'job'
      ? [...jobKeys(models, stream.id), ...machineKeys(models, machineIdFromRunnerName(runnerOf(recorded)))]
      : stream.category === 'machine'
        ? [...machineKeys(models, stream.id), ...claimKeys(recorded)]
        : poolKeys(models, stream.id);
  const seen = new Set<string>();

  return keys.filter((key) => {
    const id = `${key.kind}#${key.id}`;

    return !seen.has(id) && seen.add(id) !== undefined;
  });
};
