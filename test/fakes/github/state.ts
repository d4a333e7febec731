import { randomBytes } from 'node:crypto';

/** The fake GitHub's memory: installations, tokens, runners per repo, jobs, re-runs, JIT configs handed out. */

export type FakeJobStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'pending' | 'requested';

export interface FakeJob {
  readonly repo: string;
  readonly id: string;
  readonly runId: string;
  status: FakeJobStatus;
  conclusion: string | null;
  runnerName: string | null;
  readonly labels: ReadonlyArray<string>;
}

export interface FakeRunner {
  readonly id: number;
  readonly name: string;
  status: 'online' | 'offline';
  busy: boolean;
  readonly labels: ReadonlyArray<string>;
}

export interface IssuedJitConfig {
  readonly repo: string;
  readonly runnerId: number;
  readonly runnerName: string;
  readonly labels: ReadonlyArray<string>;
  readonly workFolder: string | null;
  readonly encodedJitConfig: string;
}

export interface IssuedToken {
  readonly token: string;
  readonly installationId: number;
  readonly expiresAtMs: number;
}

export interface Rerun {
  readonly repo: string;
  readonly jobId: string;
}

const key = (repo: string): string => repo.toLowerCase();

export class FakeGithubState {
  /** owner (lowercase) → installation id */
  readonly installations = new Map<string, number>();
  readonly tokens = new Map<string, IssuedToken>();
  readonly jitConfigs: IssuedJitConfig[] = [];
  readonly reruns: Rerun[] = [];
  private readonly runnersByRepo = new Map<string, FakeRunner[]>();
  private readonly jobs = new Map<string, FakeJob>();
  private nextRunnerId = 1;

  installationOfOwner(owner: string): number | undefined {
    return this.installations.get(owner.toLowerCase());
  }

  issueToken(installationId: number, expiresAtMs: number): IssuedToken {
    const issued = { token: `ghs_${randomBytes(18).toString('base64url')}`, installationId, expiresAtMs };
    this.tokens.set(issued.token, issued);

    return issued;
  }

  revokeTokens(): void {
    this.tokens.clear();
  }

  runners(repo: string): ReadonlyArray<FakeRunner> {
    return this.runnersByRepo.get(key(repo)) ?? [];
  }

  addRunner(
    repo: string,
    runner: { name: string; status?: 'online' | 'offline'; busy?: boolean; labels?: string[] },
  ): FakeRunner {
    const created: FakeRunner = {
      id: this.nextRunnerId++,
      name: runner.name,
      status: runner.status ?? 'offline',
      busy: runner.busy ?? false,
      labels: runner.labels ?? [],
    };
    this.runnersByRepo.set(key(repo), [...this.runners(repo), created]);

    return created;
  }

  removeRunner(repo: string, runnerId: number): boolean {
    const before = this.runners(repo);
    const after = before.filter((r) => r.id !== runnerId);
    this.runnersByRepo.set(key(repo), after);

    return after.length < before.length;
  }

  /** What generate-jitconfig does: register the runner (offline until it starts) and hand out its one-shot config. */
  issueJitConfig(
    repo: string,
    name: string,
    labels: ReadonlyArray<string>,
    workFolder: string | null,
  ): IssuedJitConfig {
    const runner = this.addRunner(repo, { name, labels: [...labels] });
    const secret = { '.runner': { name, id: runner.id }, '.credentials': randomBytes(24).toString('base64url') };
    const issued = {
      repo,
      runnerId: runner.id,
      runnerName: name,
      labels,
      workFolder,
      encodedJitConfig: Buffer.from(JSON.stringify(secret)).toString('base64'),
    };
    this.jitConfigs.push(issued);

    return issued;
  }

  seedJob(job: {
    repo: string;
    id: string;
    runId?: string;
    status?: FakeJobStatus;
    conclusion?: string | null;
    runnerName?: string | null;
    labels?: string[];
  }): FakeJob {
    const seeded: FakeJob = {
      repo: job.repo,
      id: job.id,
      runId: job.runId ?? '9000',
      status: job.status ?? 'queued',
      conclusion: job.conclusion ?? null,
      runnerName: job.runnerName ?? null,
      labels: job.labels ?? [],
    };
    this.jobs.set(`${key(job.repo)}#${job.id}`, seeded);

    return seeded;
  }

  job(repo: string, id: string): FakeJob | undefined {
    return this.jobs.get(`${key(repo)}#${id}`);
  }
}
