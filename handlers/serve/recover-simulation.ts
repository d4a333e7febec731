import { workflowJobPayload } from '../../adapters/sim/github-payloads.js';
import type { SimGithub } from '../../adapters/sim/index.js';
import { machineIdFromRunnerName } from '../../domain/machine/launch-request.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { JobView } from '../../projections/job-view.js';
import type { ReadModels } from '../../projections/read-models.js';
import { reconcileMachines } from '../app/reconcile-machines.js';

/**
 * After a restart of the embedded service, its in-process simulation starts empty, while GitHub (had it been real)
 * would still hold the queued jobs. So: the simulated GitHub is told of every job it would still have, machines the
 * simulated cloud no longer knows end as `vanished` (their jobs are re-dispatched), and a job that was running on
 * such a machine is concluded `failure`, as GitHub concludes a job whose runner is gone.
 */
const OPEN = new Set(['queued', 'provisioning', 'assigned', 'running']);

const asQueued = (job: JobView, at: string) =>
  workflowJobPayload(
    'queued',
    {
      id: job.jobId ?? '',
      runId: job.runId ?? '0',
      runAttempt: 1,
      repo: job.repo ?? 'unknown/unknown',
      name: `job ${job.jobId ?? ''}`,
      workflowName: 'recovered',
      labels: job.spec === null ? [] : [job.spec.label],
      status: 'queued',
      conclusion: null,
      createdAt: job.times.queuedAt ?? at,
      startedAt: null,
      completedAt: null,
      runnerId: null,
      runnerName: null,
      origin: 'observed',
    },
    job.installationId,
  );

export const recoverSimulation = async (
  models: ReadModels,
  github: SimGithub,
  compute: ComputePort,
  record: (machineId: string, observation: Observation) => Promise<void>,
  now: () => string,
): Promise<{ readonly vanished: ReadonlyArray<string>; readonly reopened: number }> => {
  const open = [...models.jobs.values()].filter(
    (job) => OPEN.has(job.status) && job.jobId !== null && job.spec !== null,
  );
  for (const job of open) github.observe(asQueued(job, now()));
  const vanished = await reconcileMachines(models, compute, record);
  for (const job of open) {
    const ranOn = machineIdFromRunnerName(job.runnerName);
    if (job.status === 'running' && ranOn !== null && vanished.includes(ranOn))
      github.completeJob(job.jobId ?? '', 'failure');
  }

  return { vanished, reopened: open.length };
};
