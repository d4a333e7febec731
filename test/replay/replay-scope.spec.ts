import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { replay, type ReplayStep } from '../../handlers/replay/engine.js';
import { recordHistory, recordRunnerTaken } from './history.js';

const source = (events: ReadonlyArray<RecordedEvent>) =>
  async function* () {
    yield events; // one batch, as a file's chunk
  };

const withoutSince = (steps: ReadonlyArray<ReplayStep>) => steps.map(({ sinceMs: _sinceMs, ...step }) => step);

describe('replay of a job, learning its streams in one pass', () => {
  it('shows exactly the steps of its streams that a whole-store replay shows, at any --until', async () => {
    for (const [events, jobs] of [
      [await recordHistory(), ['101', '102', '103']],
      [await recordRunnerTaken(), ['201', '202']],
    ] as const) {
      const times = [undefined, ...new Set(events.map((e) => e.metadata.at))];
      for (const jobId of jobs)
        for (const until of times) {
          const options = until === undefined ? {} : { until };
          const job = await replay(source(events), { scope: { kind: 'job', jobId }, ...options });
          const all = await replay(source(events), { scope: { kind: 'all' }, ...options });
          const expected = all.steps.filter((step) => job.streams.has(step.streamId));
          expect(withoutSince(job.steps)).toEqual(withoutSince(expected));
          expect(job.steps.map((s) => s.sinceMs)).toEqual(
            expected.map((s, i) => (i === 0 ? null : Date.parse(s.at) - Date.parse(expected[i - 1]?.at ?? ''))),
          );
          expect(job.folded).toBe(all.folded);
        }
    }
  });

  it('shows the steps of a machine named by the job only after them (the runner another job took), from its start', async () => {
    const events = await recordRunnerTaken();
    const taken = await replay(source(events), { scope: { kind: 'job', jobId: '202' } });
    const machines = [...taken.streams].filter((s) => s.startsWith('machine#'));
    expect(machines).toHaveLength(2);
    // The machine launched for 201 is named by 202 only when 202 starts on its runner, after its first events.
    for (const machine of machines) expect(taken.steps.find((s) => s.streamId === machine)?.version).toBe(1);
  });

  it('shows nothing for a job that is not in the store', async () => {
    const result = await replay(source(await recordHistory()), { scope: { kind: 'job', jobId: '999' } });
    expect(result.steps).toEqual([]);
    expect(result.streams.size).toBe(0);
  });
});
