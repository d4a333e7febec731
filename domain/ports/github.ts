/**
 * The GitHub port: the few REST calls the orchestrator makes (SPEC section 8). The App adapter implements it with
 * @octokit; the simulated GitHub implements it in-process. Errors that a retry cannot fix are returned as values where
 * the result has room (a missing job is null, a runner already gone is done), else thrown as `GithubFailureError`;
 * network trouble, 429 and 5xx are retried inside the adapter and thrown (transient) when retries run out.
 */
export interface RepoRef {
  /** `owner/name` */
  readonly repo: string;
  readonly installationId: number | null;
}

export interface JitConfig {
  readonly runnerId: number;
  readonly runnerName: string;
  /** The secret the runner starts with; kept in the runner-config store, never in an event, a log or an API answer. */
  readonly encodedJitConfig: string;
}

export type GithubJobStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'pending' | 'requested';

export interface GithubJob {
  readonly id: string;
  readonly status: GithubJobStatus;
  readonly conclusion: string | null;
  readonly runnerName: string | null;
  readonly labels: ReadonlyArray<string>;
}

export interface GithubRunner {
  readonly id: number;
  readonly name: string;
  readonly status: 'online' | 'offline';
  readonly busy: boolean;
}

export type GithubFailure =
  | { readonly kind: 'not-found'; readonly message: string }
  | { readonly kind: 'conflict'; readonly message: string }
  | { readonly kind: 'forbidden'; readonly message: string }
  /** 400/422, or an answer GitHub should never give (an empty `encoded_jit_config`). */
  | { readonly kind: 'invalid'; readonly message: string };

/**
 * How the port reports a failure no retry can fix where the result has no room for it: any refusal of
 * `generateJitConfig` or `rerunJob`, and from every method a refusal of the App itself (not installed, no permission).
 * Anything else a method throws is transient. The message names the call and the status, never a response body.
 */
export class GithubFailureError extends Error {
  constructor(readonly failure: GithubFailure) {
    super(failure.message);
    this.name = 'GithubFailureError';
  }
}

/** The failure carried by `e`, or null when `e` is transient (or not from the port at all). */
export const githubFailureOf = (e: unknown): GithubFailure | null =>
  e instanceof GithubFailureError ? e.failure : null;

export interface GithubPort {
  /** 409 (a runner of that name exists) is answered by deleting the stale registration and asking once more. */
  generateJitConfig(ref: RepoRef, runnerName: string, labels: ReadonlyArray<string>): Promise<JitConfig>;
  getJob(ref: RepoRef, jobId: string): Promise<GithubJob | null>;
  /** Re-runs one job (and, at GitHub, the jobs that depend on it). */
  rerunJob(ref: RepoRef, jobId: string): Promise<void>;
  listRunners(ref: RepoRef): AsyncIterable<GithubRunner>;
  /** 404 counts as done. */
  deleteRunner(ref: RepoRef, runnerId: number): Promise<void>;
}
