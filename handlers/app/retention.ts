import type { Writable } from 'node:stream';
import { isTerminal } from '../../domain/job/job-state.js';
import type { EventStore, RecordedEvent } from '../../domain/store/event-store.js';
import { jobStreamId, machineStreamId } from '../../domain/shared/ids.js';
import type { JobView } from '../../projections/job-view.js';
import type { MachineView } from '../../projections/machine-view.js';
import type { Quarantine } from '../../projections/read-models.js';

/**
 * Retention (DESIGN section 2): job and machine streams end with their lifecycle; once finished for longer than the
 * retention period they are exported to JSONL and THEN expired (SQLite: rows deleted; DynamoDB: TTL), so the table
 * stays small and nothing is dropped without a copy. Pool streams are configuration and are never expired here.
 */
export const DEFAULT_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

/** The cutoff for `olderThan`: streams that finished before it are expired. */
export const retentionCutoff = (now: string, days: number = DEFAULT_RETENTION_DAYS): string =>
  new Date(Date.parse(now) - days * DAY_MS).toISOString();

/** The views retention decides from: `ReadModels` (or views loaded from a view store) fit as they are. */
export interface RetentionSource {
  readonly jobs: ReadonlyMap<string, JobView>;
  readonly machines: ReadonlyMap<string, MachineView>;
  readonly quarantined?: ReadonlyMap<string, Quarantine>;
}

export interface ExportAndExpireOptions {
  readonly store: EventStore;
  readonly source: RetentionSource;
  /** ISO 8601: streams that finished strictly before it go. */
  readonly olderThan: string;
  /** Receives one JSON object per line: `{streamId, version, type, data, metadata}`. */
  readonly out: Writable;
  /** Makes what was written to `out` durable (fsync) before anything is expired; omit for a stream without one. */
  readonly sync?: () => Promise<void>;
  /**
   * Removes a stream whose last version is `throughVersion`; the adapter must leave a stream that grew since alone
   * (a conditional delete), since its newer events were not exported.
   */
  readonly expire: (streamId: string, throughVersion: number) => Promise<void>;
  /** Streams exported, then expired, per round (default 100): a crash loses at most one round's expiry, never data. */
  readonly chunkSize?: number;
}

export interface RetentionResult {
  readonly streams: number;
  readonly events: number;
  readonly expired: ReadonlyArray<string>;
  /** Streams found to have grown between export and expiry: exported, not expired. */
  readonly skipped: ReadonlyArray<string>;
}

const before = (at: string | null, cutoff: number): boolean => at !== null && Date.parse(at) < cutoff;
const machineEnded = (m: MachineView | undefined): boolean => m?.status === 'terminated' || m?.status === 'failed';

/**
 * A job and its machine go together: a job is kept while its machine still runs, a machine while its job is live, so
 * a rebuild afterwards never finds a live entity pointing at an expired one (and re-deciding a launch for it).
 */
export const expirableStreams = (source: RetentionSource, olderThan: string): ReadonlyArray<string> => {
  const cutoff = Date.parse(olderThan);
  if (Number.isNaN(cutoff)) throw new RangeError(`olderThan ${JSON.stringify(olderThan)} is not an ISO 8601 time`);
  const jobs = [...source.jobs.entries()]
    .filter(([, job]) => isTerminal(job.status) && before(job.times.finishedAt ?? job.times.updatedAt, cutoff))
    .filter(
      ([, job]) =>
        job.machineId === null ||
        !source.machines.has(job.machineId) ||
        machineEnded(source.machines.get(job.machineId)),
    )
    .map(([id]) => jobStreamId(id));
  const machines = [...source.machines.entries()]
    .filter(([, machine]) => machineEnded(machine) && before(machine.endedAt, cutoff))
    .filter(([, machine]) => {
      const job = machine.jobId === null ? undefined : source.jobs.get(machine.jobId);
      return job === undefined || isTerminal(job.status);
    })
    .map(([id]) => machineStreamId(id));
  return [...jobs, ...machines].filter((streamId) => source.quarantined?.has(streamId) !== true).sort();
};

export const toJsonlLine = (e: RecordedEvent): string =>
  `${JSON.stringify({ streamId: e.streamId, version: e.version, type: e.type, data: e.data, metadata: e.metadata })}\n`;

const write = (out: Writable, text: string): Promise<void> =>
  new Promise((resolve, reject) => out.write(text, (error) => (error ? reject(error) : resolve())));

export const exportAndExpire = async (options: ExportAndExpireOptions): Promise<RetentionResult> => {
  const { store, out } = options;
  const candidates = expirableStreams(options.source, options.olderThan);
  const chunkSize = options.chunkSize ?? 100;
  const expired: string[] = [];
  const skipped: string[] = [];
  let events = 0;
  for (let start = 0; start < candidates.length; start += chunkSize) {
    const exported: Array<{ readonly streamId: string; readonly version: number }> = [];
    for (const streamId of candidates.slice(start, start + chunkSize)) {
      const history = await store.read(streamId);
      if (history.length === 0) continue;
      await write(out, history.map(toJsonlLine).join(''));
      events += history.length;
      exported.push({ streamId, version: history.at(-1)?.version ?? 0 });
    }
    await options.sync?.();
    for (const { streamId, version } of exported) {
      // A stream that moved on is not finished after all: keep it (its export stays, harmless: same keys).
      if ((await store.read(streamId, { fromVersion: version + 1 })).length > 0) {
        skipped.push(streamId);
        continue;
      }
      await options.expire(streamId, version);
      expired.push(streamId);
    }
  }
  return { streams: expired.length + skipped.length, events, expired, skipped };
};
