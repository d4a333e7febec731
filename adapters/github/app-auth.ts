import { createAppAuth } from '@octokit/auth-app';
import type { Octokit } from '@octokit/core';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { AccessTokenAnswer, InstallationAnswer } from './codecs.js';
import { GithubFailureError } from '../../domain/ports/github.js';
import { invalidAnswer, portError, statusOf } from './errors.js';
import type { GithubLogger } from './logger.js';

/**
 * App authentication (SPEC section 8): the App JWT (RS256, signed by @octokit/auth-app), the installation of each owner
 * (looked up once per owner and kept), and installation tokens kept per installation and refreshed `refreshMarginMs`
 * before GitHub's `expires_at`.
 *
 * Tokens are fetched here rather than through auth-app's installation auth because auth-app (v8) keeps them for a fixed
 * 59 minutes from when they were fetched, whatever `expires_at` says, dedupes concurrent fetches in a module-global map
 * keyed by installation id only (two App clients in one process share it), and retries 401s with real 1-5 s sleeps.
 */
export interface AppAuthOptions {
  readonly appId: number | string;
  /** PKCS#8 PEM. */
  readonly privateKey: string;
  readonly octokit: Octokit;
  readonly logger: GithubLogger;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly refreshMarginMs: number;
}

export interface AppAuth {
  /** `ref.installationId`, else the installation of `owner` (looked up through `owner/repo` once, then kept). */
  installationFor(owner: string, repo: string, given: number | null): Promise<number>;
  /** A token valid for at least the refresh margin. */
  tokenFor(installationId: number): Promise<string>;
  /** After a 401: the next `tokenFor` fetches a new one. */
  forgetToken(installationId: number): void;
  /** After the installation vanished (uninstalled, reinstalled): the next call looks it up again. */
  forgetInstallation(owner: string): void;
}

/** When GitHub's answer has no readable expiry: its documented lifetime less the margin SPEC section 8 uses. */
const FALLBACK_TTL_MS = 50 * 60_000;

const decode = <A>(codec: t.Decoder<unknown, A>, data: unknown, call: string): A => {
  const decoded = codec.decode(data);
  if (E.isLeft(decoded)) throw invalidAnswer(call, 'unexpected answer shape');

  return decoded.right;
};

/**
 * A 404 from the installation lookup or the token request means the App is not (or no longer) installed there: a
 * refusal of the caller, not a missing job or runner, which is what a 404 means to the port's callers.
 */
const notInstalled = (call: string, error: unknown): Error =>
  statusOf(error) === 404
    ? new GithubFailureError({ kind: 'forbidden', message: `${call} answered 404 (App not installed)` })
    : portError(call, error);

/** Runs `fetch` once for concurrent callers of the same key; a failure is not kept. */
const once = <K, V>(pending: Map<K, Promise<V>>, key: K, fetch: () => Promise<V>): Promise<V> => {
  const running = pending.get(key);
  if (running !== undefined) return running;
  const started = fetch().finally(() => pending.delete(key));
  pending.set(key, started);

  return started;
};

export const createAppAuthenticator = (options: AppAuthOptions): AppAuth => {
  const { octokit, now, refreshMarginMs } = options;
  const auth = createAppAuth({
    appId: options.appId,
    privateKey: options.privateKey,
    // Only the JWT is asked of auth-app (no request made). Its default log is the console; keep only its own words.
    log: {
      warn: (message: string) => {
        if (message.startsWith('[@octokit/auth-app]')) options.logger.warn({}, message);
      },
    },
  });
  const jwt = async (): Promise<string> => (await auth({ type: 'app' })).token;

  const installations = new Map<string, number>();
  const lookups = new Map<string, Promise<number>>();
  const tokens = new Map<number, { readonly token: string; readonly refreshAt: number }>();
  const fetches = new Map<number, Promise<string>>();

  const lookUp = async (owner: string, repo: string): Promise<number> => {
    const call = `GET /repos/${owner}/${repo}/installation`;
    const answer = await octokit
      .request('GET /repos/{owner}/{repo}/installation', {
        owner,
        repo,
        headers: { authorization: `bearer ${await jwt()}` },
      })
      .catch((error: unknown) => {
        throw notInstalled(call, error);
      });
    const id = decode(InstallationAnswer, answer.data, call).id;
    installations.set(owner.toLowerCase(), id);
    options.logger.info({ owner, installationId: id }, 'GitHub App installation found');

    return id;
  };

  const fetchToken = async (installationId: number): Promise<string> => {
    const call = `POST /app/installations/${installationId}/access_tokens`;
    const answer = await octokit
      .request('POST /app/installations/{installation_id}/access_tokens', {
        installation_id: installationId,
        headers: { authorization: `bearer ${await jwt()}` },
      })
      .catch((error: unknown) => {
        throw notInstalled(call, error);
      });
    const { token, expires_at } = decode(AccessTokenAnswer, answer.data, call);
    const expiresAt = Date.parse(expires_at);
    const fetchedAt = now();
    const refreshAt = (Number.isNaN(expiresAt) ? fetchedAt + FALLBACK_TTL_MS : expiresAt) - refreshMarginMs;
    tokens.set(installationId, { token, refreshAt });

    return token;
  };

  return {
    installationFor: async (owner, repo, given) => {
      if (given !== null) return given;
      const key = owner.toLowerCase();

      return installations.get(key) ?? once(lookups, key, () => lookUp(owner, repo));
    },
    tokenFor: async (installationId) => {
      const kept = tokens.get(installationId);
      if (kept !== undefined && now() < kept.refreshAt) return kept.token;

      return once(fetches, installationId, () => fetchToken(installationId));
    },
    forgetToken: (installationId) => void tokens.delete(installationId),
    forgetInstallation: (owner) => void installations.delete(owner.toLowerCase()),
  };
};
