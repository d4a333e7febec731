/**
 * `workflow_job` webhook payloads shaped like GitHub's (see @octokit/webhooks-examples, `workflow_job`): the fields
 * GitHub sends, with the values a simulated job has. Nothing here is sent anywhere; sim-github.ts delivers it.
 */
export type SimJobStatus = 'queued' | 'in_progress' | 'completed';

export interface SimJob {
  /** GitHub's numeric job id, as a string (it exceeds 2^53 for some installations). */
  readonly id: string;
  readonly runId: string;
  readonly runAttempt: number;
  readonly repo: string;
  readonly labels: ReadonlyArray<string>;
  readonly name: string;
  readonly workflowName: string;
  readonly status: SimJobStatus;
  readonly conclusion: string | null;
  readonly runnerName: string | null;
  readonly runnerId: number | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  /** 'simulated': created here (enqueue, rerun); 'observed': learnt from a webhook someone else posted. */
  readonly origin: 'simulated' | 'observed';
}

/** GitHub writes timestamps without milliseconds. */
export const githubTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A stable positive number for a name (repository and owner ids only need to be consistent). */
const stableId = (name: string): number => {
  let hash = 7;
  for (const char of name) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;

  return (hash % 900_000_000) + 100_000_000;
};

const nodeId = (kind: string, id: string | number): string => Buffer.from(`${kind}${String(id)}`).toString('base64');

const repository = (fullName: string) => {
  const [owner = fullName, name = fullName] = fullName.split('/');

  return {
    id: stableId(fullName),
    node_id: nodeId('010:Repository', stableId(fullName)),
    name,
    full_name: fullName,
    private: true,
    owner: {
      login: owner,
      id: stableId(owner),
      node_id: nodeId('012:Organization', stableId(owner)),
      type: 'Organization',
      site_admin: false,
    },
    html_url: `https://github.com/${fullName}`,
    url: `https://api.github.com/repos/${fullName}`,
    default_branch: 'main',
  };
};

export const SIM_SENDER = { login: 'sim-octocat', id: 583231, node_id: nodeId('04:User', 583231), type: 'User' };

export const workflowJobPayload = (
  action: SimJobStatus,
  job: SimJob,
  installationId: number | null,
): Record<string, unknown> => ({
  action,
  workflow_job: {
    id: Number(job.id),
    run_id: Number(job.runId),
    workflow_name: job.workflowName,
    head_branch: 'main',
    run_url: `https://api.github.com/repos/${job.repo}/actions/runs/${job.runId}`,
    run_attempt: job.runAttempt,
    node_id: nodeId('08:CheckRun', job.id),
    head_sha: '0000000000000000000000000000000000000000',
    url: `https://api.github.com/repos/${job.repo}/actions/jobs/${job.id}`,
    html_url: `https://github.com/${job.repo}/actions/runs/${job.runId}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: job.createdAt,
    started_at: job.startedAt ?? job.createdAt,
    completed_at: job.completedAt,
    name: job.name,
    steps: [],
    check_run_url: `https://api.github.com/repos/${job.repo}/check-runs/${job.id}`,
    labels: [...job.labels],
    runner_id: job.runnerId,
    runner_name: job.runnerName,
    runner_group_id: job.runnerId === null ? null : 1,
    runner_group_name: job.runnerId === null ? null : 'Default',
  },
  repository: repository(job.repo),
  sender: SIM_SENDER,
  ...(installationId === null
    ? {}
    : { installation: { id: installationId, node_id: nodeId('023:Installation', installationId) } }),
});

/** What `observe` needs from a `workflow_job` payload (adapters may not import the webhook handler's codec). */
export interface ObservedWorkflowJob {
  readonly action: string;
  readonly id: string;
  readonly runId: string;
  readonly runAttempt: number;
  readonly repo: string;
  readonly labels: ReadonlyArray<string>;
  readonly name: string | null;
  readonly workflowName: string | null;
  readonly conclusion: string | null;
  readonly runnerName: string | null;
  readonly runnerId: number | null;
  readonly createdAt: string | null;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);

export const readWorkflowJob = (payload: unknown): ObservedWorkflowJob | null => {
  if (!isRecord(payload) || !isRecord(payload['workflow_job']) || !isRecord(payload['repository'])) return null;
  const job = payload['workflow_job'];
  const action = str(payload['action']);
  const repo = str(payload['repository']['full_name']);
  const id = num(job['id']);
  const runId = num(job['run_id']);
  const labels = job['labels'];
  if (action === null || repo === null || id === null || runId === null) return null;
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) return null;

  return {
    action,
    id: String(id),
    runId: String(runId),
    runAttempt: num(job['run_attempt']) ?? 1,
    repo,
    labels: labels as ReadonlyArray<string>,
    name: str(job['name']),
    workflowName: str(job['workflow_name']),
    conclusion: str(job['conclusion']),
    runnerName: str(job['runner_name']),
    runnerId: num(job['runner_id']),
    createdAt: str(job['created_at']),
    startedAt: str(job['started_at']),
    completedAt: str(job['completed_at']),
  };
};
