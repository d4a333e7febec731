import { workflowJobPayload } from '../../adapters/sim/github-payloads.js';

/**
 * The demo's workload: a small, realistic run, as GitHub would queue it: a matrix of three identical jobs (whose
 * runners may take each other's jobs, as GitHub matches by label), an on-demand job, a Kubernetes job, and one with a
 * broken label that is rejected with a reason.
 */
export interface DemoJob {
  readonly id: string;
  readonly name: string;
  readonly labels: ReadonlyArray<string>;
}

export const demoWorkload = (runId: string, firstJobId: number): ReadonlyArray<DemoJob> => {
  const label = (spec: string) => [`runs-fleet=${runId}/${spec}`];
  const jobs = [
    { name: 'build (1)', labels: label('cpu=2/arch=arm64') },
    { name: 'build (2)', labels: label('cpu=2/arch=arm64') },
    { name: 'build (3)', labels: label('cpu=2/arch=arm64') },
    { name: 'integration', labels: label('cpu=4/arch=amd64/spot=false') },
    { name: 'lint', labels: label('cpu=1/ram=2/backend=k8s') },
    { name: 'typo', labels: label('cpu=lots') },
  ];

  return jobs.map((job, index) => ({ ...job, id: String(firstJobId + index) }));
};

export const queuedPayload = (job: DemoJob, runId: string, repo: string, at: string): Record<string, unknown> =>
  workflowJobPayload(
    'queued',
    {
      id: job.id,
      runId,
      runAttempt: 1,
      repo,
      name: job.name,
      workflowName: 'demo',
      labels: [...job.labels],
      status: 'queued',
      conclusion: null,
      createdAt: at,
      startedAt: null,
      completedAt: null,
      runnerId: null,
      runnerName: null,
      origin: 'simulated',
    },
    null,
  );
