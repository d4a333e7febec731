import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseKillPoint } from './kill-points.js';
import { duplicateLaunches, runCrashScenario } from './run-scenario.js';

/**
 * DESIGN section 4 invariants 1 and 3 under real crashes: a child process running the SQLite store, the feed consumer,
 * the pipeline, the in-process bus and the real executors is SIGKILLed at chosen points, restarted, and finally run
 * to quiescence. Afterwards the views it holds equal a fresh rebuild from the table, and the cloud launched every
 * commandId exactly once. The second test proves the first can fail: without the commandId lookup the same
 * composition launches twice.
 */
const dir = mkdtempSync(join(tmpdir(), 'runs-fleet-crash-'));

// Each kind twice, early and late in a child's run; a late one may not be reached (the child then ends quietly and the
// next round starts). Commands run concurrently, so one kill also cuts other launches, claims and reactions short.
const KILLS = ['launch:2', 'append:5', 'handled:4', 'launch:4', 'append:12', 'handled:10'].map(parseKillPoint);

describe('[sqlite] crash safety', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([7, 42])(
    'seed %i: views equal a rebuild from the table, every launch happened exactly once',
    async (seed) => {
      const result = await runCrashScenario({ dir, seed, kills: KILLS, lookup: true });

      const killed = new Set(result.runs.filter((r) => r.outcome === 'killed').map((r) => r.killPoint.split(':')[0]));
      expect(killed).toEqual(new Set(['launch', 'append', 'handled']));
      expect(result.childSnapshot).toEqual(result.rebuiltSnapshot);
      expect(result.launchLog.length).toBeGreaterThan(5);
      expect(result.adoptedLaunches).toBeGreaterThan(0);
      expect(duplicateLaunches(result.launchLog)).toEqual([]);
      // No orphans from a crash: every machine the cloud created is recorded on a machine stream (adopted if need be).
      expect(result.launchLog.filter((l) => !result.recordedCloudIds.has(l.cloudId))).toEqual([]);
    },
    60_000,
  );

  it('can fail: skipping the commandId lookup launches twice after a kill between launch and outcome', async () => {
    const result = await runCrashScenario({ dir, seed: 7, kills: KILLS.slice(0, 2), lookup: false });

    expect(result.runs[0]).toEqual({ killPoint: 'launch:2', outcome: 'killed' });
    expect(duplicateLaunches(result.launchLog).length).toBeGreaterThan(0);
  }, 60_000);
});
