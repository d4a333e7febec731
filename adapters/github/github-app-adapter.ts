import { Octokit } from '@octokit/core';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import {
  githubFailureOf,
  type GithubJob,
  type GithubPort,
  type GithubRunner,
  type JitConfig,
  type RepoRef,
} from '../../domain/ports/github.js';
import { createAppAuthenticator } from './app-auth.js';
import { JitConfigAnswer, JobAnswer, RunnersPage } from './codecs.js';
import { invalidAnswer, portError, statusOf } from './errors.js';
import { silentGithubLogger, type GithubLogger } from './logger.js';
import { normalizePrivateKey } from './private-key.js';
import { defaultRetryPolicy, withRetries, type RetryPolicy } from './retry.js';

/**
 * The GitHub port over the REST API as a GitHub App (SPEC section 8), with @octokit/core and @octokit/auth-app.
 * Repo-level calls only. Retries live in one request hook (retry.ts); what this file throws is a port error
 * (`GithubFailureError` for what no retry can fix, `GithubTransientError` once retries ran out), never octokit's
 * RequestError, whose message and `response` quote GitHub's body.
 */
export interface GithubAppAdapterOptions {
  readonly appId: number | string;
  /** PEM text, or base64 of the PEM (how the Go system took it); PKCS#1 or PKCS#8. */
  readonly privateKey: string;
  /** Default https://api.github.com; GitHub Enterprise Server is `https://<host>/api/v3`. */
  readonly baseUrl?: string;
  readonly logger?: GithubLogger;
  /** Overrides of SPEC section 8's retry policy; tests inject `sleep`. */
  readonly retry?: Partial<RetryPolicy>;
  /** Epoch milliseconds: when an installation token is due for refresh. Default `Date.now`. */
  readonly now?: () => number;
  /** How long before `expires_at` a token is replaced. Default 5 minutes. */
  readonly tokenRefreshMarginMs?: number;
}

export const DEFAULT_GITHUB_API = 'https://api.github.com';
export const RUNNER_GROUP_DEFAULT = 1;
export const RUNNER_WORK_FOLDER = '_work';
const PER_PAGE = 100;

const splitRepo = (repo: string): { owner: string; name: string } => {
  const [owner, name, ...rest] = repo.split('/');
  if (owner === undefined || owner === '' || name === undefined || name === '' || rest.length > 0)
    throw invalidAnswer('repo', `"${repo}" is not owner/name`);

  return { owner, name };
};

const decode = <A>(codec: t.Decoder<unknown, A>, data: unknown, call: string): A => {
  const decoded = codec.decode(data);
  // Never the validation report: it quotes the values, and a JIT answer's values are secrets.
  if (E.isLeft(decoded)) throw invalidAnswer(call, 'unexpected answer shape');

  return decoded.right;
};

const expand = (template: string, params: Readonly<Record<string, unknown>>): string =>
  template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));

export const createGithubAppAdapter = (options: GithubAppAdapterOptions): GithubPort => {
  const logger = options.logger ?? silentGithubLogger;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const octokit = new Octokit({
    baseUrl: (options.baseUrl ?? DEFAULT_GITHUB_API).replace(/\/+$/, ''),
    userAgent: 'runs-fleet',
    log: quiet,
    // @octokit/request logs deprecation notices to `request.log`, else to the console.
    request: { log: quiet },
  });
  octokit.hook.wrap('request', withRetries(policy, logger));
  const auth = createAppAuthenticator({
    appId: options.appId,
    privateKey: normalizePrivateKey(options.privateKey),
    octokit,
    logger,
    now: options.now ?? Date.now,
    refreshMarginMs: options.tokenRefreshMarginMs ?? 5 * 60_000,
  });

  /** One repo-level call with an installation token; a 401 gets one fresh token and one more try. */
  const call = async (
    ref: RepoRef,
    route: string,
    params: Readonly<Record<string, unknown>> = {},
  ): Promise<{ readonly status: number; readonly data: unknown }> => {
    const { owner, name } = splitRepo(ref.repo);
    const all = { owner, repo: name, ...params };
    const shown = expand(route, all);
    const installationId = await auth.installationFor(owner, name, ref.installationId);
    const token = () =>
      auth.tokenFor(installationId).catch((error: unknown) => {
        // A kept installation id GitHub no longer knows (uninstalled, reinstalled): look it up again next time.
        if (githubFailureOf(error) !== null && ref.installationId === null) auth.forgetInstallation(owner);
        throw error;
      });
    const send = (bearer: string) => octokit.request(route, { ...all, headers: { authorization: `token ${bearer}` } });
    const first = await token();
    try {
      return await send(first);
    } catch (refused) {
      if (statusOf(refused) !== 401) throw portError(shown, refused);
      auth.forgetToken(installationId);
      logger.warn({ call: route, installationId }, 'installation token refused; fetching a new one');
      const fresh = await token();

      return send(fresh).catch((error: unknown) => {
        throw portError(shown, error);
      });
    }
  };

  const listRunners = async function* (ref: RepoRef): AsyncIterable<GithubRunner> {
    const route = 'GET /repos/{owner}/{repo}/actions/runners';
    for (let page = 1; ; page += 1) {
      const answer = decode(RunnersPage, (await call(ref, route, { per_page: PER_PAGE, page })).data, route);
      for (const runner of answer.runners)
        yield {
          id: runner.id,
          name: runner.name,
          status: runner.status === 'online' ? 'online' : 'offline',
          busy: runner.busy,
        };
      if (answer.runners.length < PER_PAGE || page * PER_PAGE >= answer.total_count) return;
    }
  };

  const findRunner = async (ref: RepoRef, runnerName: string): Promise<GithubRunner | null> => {
    for await (const runner of listRunners(ref)) if (runner.name === runnerName) return runner;

    return null;
  };

  const deleteRunner = async (ref: RepoRef, runnerId: number): Promise<void> => {
    try {
      await call(ref, 'DELETE /repos/{owner}/{repo}/actions/runners/{runner_id}', { runner_id: runnerId });
    } catch (error) {
      if (githubFailureOf(error)?.kind !== 'not-found') throw error;
    }
  };

  const requestJitConfig = async (
    ref: RepoRef,
    runnerName: string,
    labels: ReadonlyArray<string>,
  ): Promise<JitConfig> => {
    const route = 'POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig';
    const answer = await call(ref, route, {
      name: runnerName,
      runner_group_id: RUNNER_GROUP_DEFAULT,
      labels: [...labels],
      work_folder: RUNNER_WORK_FOLDER,
    });
    const { runner, encoded_jit_config } = decode(JitConfigAnswer, answer.data, route);
    if (encoded_jit_config === '') throw invalidAnswer(route, 'empty encoded_jit_config');

    return { runnerId: runner.id, runnerName: runner.name, encodedJitConfig: encoded_jit_config };
  };

  return {
    generateJitConfig: async (ref, runnerName, labels) => {
      try {
        return await requestJitConfig(ref, runnerName, labels);
      } catch (error) {
        if (githubFailureOf(error)?.kind !== 'conflict') throw error;
      }
      // 409: a runner of that name is registered (an earlier attempt got its config and crashed, or a stale
      // registration). Remove it and ask once more; a second 409 is returned to the caller.
      const stale = await findRunner(ref, runnerName);
      logger.info(
        { repo: ref.repo, runnerName, found: stale !== null },
        'runner name taken; removing the registration',
      );
      if (stale !== null) await deleteRunner(ref, stale.id);

      return requestJitConfig(ref, runnerName, labels);
    },

    getJob: async (ref, jobId): Promise<GithubJob | null> => {
      const route = 'GET /repos/{owner}/{repo}/actions/jobs/{job_id}';
      try {
        const job = decode(JobAnswer, (await call(ref, route, { job_id: jobId })).data, route);

        return {
          id: jobId,
          status: job.status,
          conclusion: job.conclusion ?? null,
          runnerName: job.runner_name ?? null,
          labels: job.labels ?? [],
        };
      } catch (error) {
        if (githubFailureOf(error)?.kind === 'not-found') return null;
        throw error;
      }
    },

    rerunJob: async (ref, jobId) => {
      await call(ref, 'POST /repos/{owner}/{repo}/actions/jobs/{job_id}/rerun', { job_id: jobId });
    },

    listRunners,
    deleteRunner,
  };
};
