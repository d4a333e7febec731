import { describe, expect, it } from 'vitest';
import type { SimJob, SimMachineSnapshot } from '../../adapters/sim/index.js';
import { createMemoryEventStore } from '../../adapters/store-memory/index.js';
import { judge, percentile } from '../../soak/verdict.js';
import type { JobTrace } from '../../soak/webhook-relay.js';

/**
 * The soak's verdict counts from records outside the service: a job the relay saw acknowledged is served, visibly
 * failed or LOST; two machines for one job attempt are a DUPLICATE; a machine alive after quiescence is an ORPHAN.
 */
const trace = (jobId: string, acked: ReadonlyArray<string>, queuedAt = 0, inProgressAt: number | null = null) =>
  [jobId, { jobId, labels: ['runs-fleet/cpu=2'], queuedAt, inProgressAt, acked: new Set(acked) }] as const;

const githubJob = (id: string, status: SimJob['status'], conclusion: string | null, runnerName: string | null) =>
  ({ id, status, conclusion, runnerName, runAttempt: 1 }) as unknown as SimJob;

const machine = (machineId: string, jobId: string, state: SimMachineSnapshot['state']) =>
  ({
    machineId,
    commandId: machineId,
    cloudId: `i-${machineId}`,
    state,
    requestedFor: { jobId, attempt: 1 },
  }) as unknown as SimMachineSnapshot;

describe('soak verdict', () => {
  it('counts served, visibly failed, lost, duplicate launches and orphans', async () => {
    const store = createMemoryEventStore();
    await store.append(
      'job#4',
      [
        {
          type: 'JobFailed',
          data: { attempt: 3, reason: 'budget-exhausted', message: 'gave up' },
          metadata: { at: 'x' },
        },
      ],
      0,
    );
    const traces = new Map<string, JobTrace>([
      trace('1', ['queued'], 1_000, 1_400),
      trace('2', ['queued'], 1_000, 3_000),
      trace('3', ['queued']),
      trace('4', ['queued']),
      trace('5', ['queued', 'completed']),
      // Never acknowledged: not accepted, so not lost either.
      trace('6', []),
    ]);
    const verdict = await judge({
      traces,
      githubJobs: [
        githubJob('1', 'completed', 'success', 'runner-a'),
        githubJob('2', 'completed', 'failure', 'runner-b'),
        githubJob('3', 'queued', null, null),
        githubJob('4', 'queued', null, null),
        githubJob('5', 'in_progress', null, 'runner-c'),
        githubJob('6', 'queued', null, null),
      ],
      machines: [machine('m1', '1', 'terminated'), machine('m1b', '1', 'terminated'), machine('m3', '3', 'running')],
      store,
    });

    expect(verdict).toMatchObject({
      accepted: 5,
      served: 1,
      visiblyFailed: 2,
      lost: 2,
      lostJobs: ['3', '5'],
      machinesLaunched: 3,
      duplicates: 1,
      duplicateAttempts: ['job 1 attempt 1'],
      orphans: 1,
      timeToRunnerMs: { p50: 400, p99: 2_000 },
    });
  });

  it('counts pool members apart: launched for no job, each under its own command; one ran a job at GitHub', async () => {
    const member = (machineId: string, state: SimMachineSnapshot['state']) =>
      ({
        ...machine(machineId, 'x', state),
        requestedFor: null,
        runnerName: `runner-${machineId}`,
      }) as SimMachineSnapshot;
    const verdict = await judge({
      traces: new Map([trace('7', ['queued'], 0, 100)]),
      githubJobs: [githubJob('7', 'completed', 'success', 'runner-p1')],
      machines: [member('p1', 'terminated'), member('p2', 'terminated'), member('p3', 'stopped')],
      store: createMemoryEventStore(),
    });

    expect(verdict).toMatchObject({
      served: 1,
      lost: 0,
      machinesLaunched: 3,
      poolMembers: { launched: 3, servedJobs: 1 },
      duplicates: 0,
      orphans: 1,
      orphanMachines: ['p3 (stopped, i-p3)'],
    });
  });

  it('takes percentiles by rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
  });
});
