import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore, type SqliteEventStore } from '../../adapters/store-sqlite/index.js';
import { resume } from '../../domain/process/resume.js';
import type { RecordedEvent } from '../../domain/store/index.js';
import { initialJobView, type JobView } from '../../projections/job-view.js';
import { initialMachineView, type MachineView } from '../../projections/machine-view.js';
import { createWorld } from '../../test/world/world.js';
import { rebuildReadModels } from './rebuild.js';
import { DEFAULT_RETENTION_DAYS, exportAndExpire, expirableStreams, retentionCutoff } from './retention.js';

const settings = { defaultBackend: 'ec2' } as const;
const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const ARM = ['runs-fleet/cpu=4/arch=arm64'];

/**
 * A history spread over 40 days: job 1 ran and finished, job 4 was rejected (both on day 0); then job 2 is queued and
 * still waits on its machine, and job 3 finished yesterday.
 */
const history = async (): Promise<{ events: ReadonlyArray<RecordedEvent>; now: string }> => {
  const world = createWorld();
  await world.queued({ jobId: '1', labels: ARM });
  await world.queued({ jobId: '4', labels: ['runs-fleet/cpu=abc'] });
  await world.settle();
  await world.started({ jobId: '1', labels: ARM }, world.models.job('1')?.runnerName ?? null);
  await world.completed({ jobId: '1', labels: ARM }, 'success', world.models.job('1')?.runnerName ?? null);
  await world.settle();
  world.clock.advance(39 * DAY);
  await world.queued({ jobId: '2', labels: ARM });
  await world.queued({ jobId: '3', labels: ARM });
  await world.settle();
  await world.completed({ jobId: '3', labels: ARM }, 'cancelled');
  await world.settle();
  world.clock.advance(DAY);
  return { events: await world.store.readAfter(0, 10_000), now: world.clock.now() };
};

const sqliteWith = async (name: string, events: ReadonlyArray<RecordedEvent>): Promise<SqliteEventStore> => {
  const store = await openSqliteEventStore(join(dir, name));
  for (const { streamId, version, type, data, metadata } of events) {
    await store.append(streamId, [{ type, data, metadata }], version - 1);
  }
  return store;
};

/**
 * The SQLite expiry, here on a second connection: the store does not expose its database handle, so the adapter has
 * no delete of its own yet. Conditional, as the port asks: a stream that grew past `throughVersion` stays.
 */
const sqliteExpire = (store: SqliteEventStore) => async (streamId: string, throughVersion: number) => {
  await store.expireStream(streamId, throughVersion);
};

const streamsOf = async (store: SqliteEventStore): Promise<string[]> => {
  const ids: string[] = [];
  for (const category of ['job', 'machine', 'pool']) for await (const id of store.listStreams(category)) ids.push(id);
  return ids.sort();
};

describe('[sqlite] retention', () => {
  it('exports finished streams to JSONL, then expires them; live ones stay and a rebuild agrees', async () => {
    const { events, now } = await history();
    const store = await sqliteWith('retention.db', events);
    const before = await rebuildReadModels({ store, settings });
    const machineOf = (jobId: string) => `machine#${before.models.job(jobId)?.machineId ?? '?'}`;
    const outPath = join(dir, 'archive.jsonl');
    const out = createWriteStream(outPath);

    const result = await exportAndExpire({
      store,
      source: before.models,
      olderThan: retentionCutoff(now),
      out,
      expire: sqliteExpire(store),
    });
    out.end();
    await once(out, 'finish');

    const expired = ['job#1', 'job#4', machineOf('1')].sort();
    expect(result.expired).toEqual(expired);
    expect(result.skipped).toEqual([]);
    // Complete: every event of every expired stream, one per line, as stored.
    const lines = readFileSync(outPath, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    const original = events
      .filter((e) => expired.includes(e.streamId))
      .map(({ streamId, version, type, data, metadata }) => ({ streamId, version, type, data, metadata }));
    expect(lines).toHaveLength(result.events);
    expect(new Set(lines.map((l) => JSON.stringify(l)))).toEqual(new Set(original.map((l) => JSON.stringify(l))));
    // Gone from the table; the others untouched.
    for (const streamId of expired) expect(await store.read(streamId)).toEqual([]);
    const live = (await streamsOf(store)).filter((id) => !expired.includes(id));
    expect(live).toEqual(['job#2', 'job#3', machineOf('2'), machineOf('3')].sort());
    for (const streamId of live) {
      const kept = (await store.read(streamId)).map(({ position: _p, ...e }) => e);
      expect(kept).toEqual(events.filter((e) => e.streamId === streamId).map(({ position: _p, ...e }) => e));
    }
    // A rebuild afterwards: the same views for what is left, and nothing re-decided for what is gone.
    const after = await rebuildReadModels({ store, settings });
    expect(after.quarantined).toEqual([]);
    expect([...after.models.jobs.keys()].sort()).toEqual(['2', '3']);
    for (const id of ['2', '3']) expect(after.models.job(id)).toEqual(before.models.job(id));
    expect(resume(after.models, after.models, now)).toEqual(resume(before.models, before.models, now));
    await store.close();
  });

  it('keeps a stream that moved on between its export and its expiry', async () => {
    const { events, now } = await history();
    const store = await sqliteWith('moved-on.db', events);
    const { models } = await rebuildReadModels({ store, settings });
    const out = createWriteStream(join(dir, 'moved-on.jsonl'));
    const result = await exportAndExpire({
      store,
      source: models,
      olderThan: retentionCutoff(now),
      out,
      // Between export and expiry (where `sync` runs) a late redelivery lands on job 4.
      sync: async () => {
        const version = (await store.read('job#4')).length;
        await store.append(
          'job#4',
          [{ type: 'JobRerunRequested', data: { commandId: 'x' }, metadata: { at: now } }],
          version,
        );
      },
      expire: sqliteExpire(store),
    });
    out.end();
    expect(result.skipped).toEqual(['job#4']);
    expect(result.expired).not.toContain('job#4');
    expect((await store.read('job#4')).length).toBeGreaterThan(0);
    await store.close();
  });
});

describe('expirable streams', () => {
  const at = (day: number) => new Date(Date.UTC(2026, 0, 1) + day * DAY).toISOString();
  const job = (status: JobView['status'], finishedDay: number | null, machineId: string | null): JobView => ({
    ...initialJobView,
    status,
    machineId,
    times: { ...initialJobView.times, finishedAt: finishedDay === null ? null : at(finishedDay), updatedAt: at(0) },
  });
  const machine = (status: MachineView['status'], endedDay: number | null, jobId: string | null): MachineView => ({
    ...initialMachineView,
    status,
    jobId,
    endedAt: endedDay === null ? null : at(endedDay),
  });

  it('takes finished jobs and ended machines older than the cutoff, and only pairs that are both done', () => {
    const source = {
      jobs: new Map([
        ['1', job('completed', 1, 'm1')], // machine ended too: both go
        ['2', job('completed', 1, 'm2')], // its machine still runs: stays, and so does the machine
        ['3', job('running', null, 'm3')], // live
        ['4', job('completed', 50, null)], // finished after the cutoff
        ['5', job('rejected', null, null)], // rejected on day 0 (updatedAt): goes
        ['6', job('failed', 2, 'm6')], // its machine was never recorded (already expired): goes
      ]),
      machines: new Map([
        ['m1', machine('terminated', 2, '1')],
        ['m2', machine('launched', null, '2')],
        ['m3', machine('terminated', 2, '3')], // ended, but its job still runs on another: stays
        ['m7', machine('failed', 3, null)], // a pool machine that failed to launch: goes
        ['m8', machine('terminated', 3, '8')], // its job was expired already: goes
      ]),
    };
    expect(expirableStreams(source, at(DEFAULT_RETENTION_DAYS))).toEqual([
      'job#1',
      'job#5',
      'job#6',
      'machine#m1',
      'machine#m7',
      'machine#m8',
    ]);
    const quarantined = new Map([['job#1', { streamId: 'job#1', version: 3, reason: 'x' }]]);
    expect(expirableStreams({ ...source, quarantined }, at(30))).not.toContain('job#1');
    expect(() => expirableStreams(source, 'last month')).toThrow(RangeError);
  });

  it('defaults to 30 days', () => {
    expect(retentionCutoff('2026-03-31T00:00:00.000Z')).toBe('2026-03-01T00:00:00.000Z');
  });
});
