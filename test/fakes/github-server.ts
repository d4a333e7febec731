import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { looksLikeJwt, verifyAppJwt } from './github/app-key.js';
import { FaultQueue, type FakeGithubRoute, type Fault } from './github/faults.js';
import { FakeGithubState } from './github/state.js';

/**
 * A local GitHub (DESIGN section 5: no emulator exists) serving exactly the REST calls runs-fleet makes, on
 * 127.0.0.1 and a free port. App auth is real: the App JWT is verified (RS256, against the test's public key) and
 * installation tokens are issued, expire and are checked. Every call is recorded (method, path, query, body, the kind
 * of credential, the status answered); faults can be queued per route; state lives in `state`.
 */
export type { FakeGithubRoute, Fault } from './github/faults.js';
export { dropConnection, forbidden, rateLimited, serverError, tooManyRequests } from './github/faults.js';
export { generateAppKeyPair } from './github/app-key.js';
export type { AppKeyPair } from './github/app-key.js';
export { FakeGithubState } from './github/state.js';

export type AuthKind = 'jwt' | 'token' | 'none';

export interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly route: FakeGithubRoute | null;
  readonly body: unknown;
  readonly auth: AuthKind;
  /** `dropped`: a `drop` fault closed the socket; `abandoned`: the client gave up (timed out) first. */
  readonly status: number | 'dropped' | 'abandoned';
}

export interface FakeGithubOptions {
  readonly appId: number | string;
  readonly publicKey: KeyObject;
  /** owner → installation id */
  readonly installations?: Readonly<Record<string, number>>;
  /** Lifetime of the installation tokens it issues. Default 1 hour, as GitHub. */
  readonly tokenTtlMs?: number;
  /** Epoch ms for token expiry (JWTs are checked against the real clock, which signed them). */
  readonly now?: () => number;
}

export interface FakeGithub {
  /** `http://127.0.0.1:<port>`: the adapter's `baseUrl`. */
  readonly url: string;
  readonly state: FakeGithubState;
  readonly calls: ReadonlyArray<RecordedCall>;
  callsTo(route: FakeGithubRoute): ReadonlyArray<RecordedCall>;
  /** Queues faults served before the real answer of `route`, in order. */
  fail(route: FakeGithubRoute, ...faults: ReadonlyArray<Fault>): void;
  reset(): void;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

interface Request {
  readonly params: ReadonlyArray<string>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
}

interface Credential {
  readonly kind: AuthKind;
  readonly value: string;
}

interface RouteSpec {
  readonly route: FakeGithubRoute;
  readonly method: string;
  readonly pattern: RegExp;
  readonly auth: 'jwt' | 'token';
}

const REPO = '/repos/([^/]+)/([^/]+)';
const ROUTES: ReadonlyArray<RouteSpec> = [
  { route: 'get-installation', method: 'GET', pattern: new RegExp(`^${REPO}/installation$`), auth: 'jwt' },
  { route: 'create-token', method: 'POST', pattern: /^\/app\/installations\/(\d+)\/access_tokens$/, auth: 'jwt' },
  {
    route: 'generate-jitconfig',
    method: 'POST',
    pattern: new RegExp(`^${REPO}/actions/runners/generate-jitconfig$`),
    auth: 'token',
  },
  { route: 'get-job', method: 'GET', pattern: new RegExp(`^${REPO}/actions/jobs/(\\d+)$`), auth: 'token' },
  { route: 'rerun-job', method: 'POST', pattern: new RegExp(`^${REPO}/actions/jobs/(\\d+)/rerun$`), auth: 'token' },
  { route: 'list-runners', method: 'GET', pattern: new RegExp(`^${REPO}/actions/runners$`), auth: 'token' },
  { route: 'delete-runner', method: 'DELETE', pattern: new RegExp(`^${REPO}/actions/runners/(\\d+)$`), auth: 'token' },
];

const message = (status: number, text: string): Answer => ({ status, body: { message: text } });
const NOT_FOUND = message(404, 'Not Found');

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

const credentialOf = (req: IncomingMessage): Credential => {
  const header = req.headers.authorization ?? '';
  const [scheme = '', value = ''] = header.split(/\s+/, 2);
  if (value === '') return { kind: 'none', value: '' };
  if (scheme.toLowerCase() === 'bearer' && looksLikeJwt(value)) return { kind: 'jwt', value };

  return { kind: 'token', value };
};

const isStringArray = (u: unknown): u is string[] => Array.isArray(u) && u.every((x) => typeof x === 'string');
const field = (body: unknown, name: string): unknown =>
  typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;

/** The generate-jitconfig body GitHub accepts, or null (422). */
const jitRequestOf = (
  body: unknown,
): { name: string; group: number; labels: string[]; workFolder: string | null } | null => {
  const name = field(body, 'name');
  const group = field(body, 'runner_group_id');
  const labels = field(body, 'labels');
  const workFolder = field(body, 'work_folder') ?? null;
  if (typeof name !== 'string' || name === '' || typeof group !== 'number') return null;
  if (!isStringArray(labels) || labels.length === 0) return null;
  if (workFolder !== null && typeof workFolder !== 'string') return null;

  return { name, group, labels, workFolder };
};

const runnerJson = (r: { id: number; name: string; status: string; busy: boolean; labels: ReadonlyArray<string> }) => ({
  id: r.id,
  name: r.name,
  os: 'linux',
  status: r.status,
  busy: r.busy,
  labels: r.labels.map((name, i) => ({ id: i + 1, name, type: 'custom' })),
});

export const startFakeGithub = async (options: FakeGithubOptions): Promise<FakeGithub> => {
  const appId = String(options.appId);
  const now = options.now ?? Date.now;
  const tokenTtlMs = options.tokenTtlMs ?? 60 * 60_000;
  const state = new FakeGithubState();
  for (const [owner, id] of Object.entries(options.installations ?? {}))
    state.installations.set(owner.toLowerCase(), id);
  const faults = new FaultQueue();
  const calls: RecordedCall[] = [];

  const repoOf = (params: ReadonlyArray<string>): string => `${params[0] ?? ''}/${params[1] ?? ''}`;

  const handlers: Record<FakeGithubRoute, (r: Request) => Answer> = {
    'get-installation': ({ params }) => {
      const id = state.installationOfOwner(params[0] ?? '');

      return id === undefined
        ? NOT_FOUND
        : { status: 200, body: { id, account: { login: params[0] }, app_id: Number(appId) } };
    },
    'create-token': ({ params }) => {
      const installationId = Number(params[0]);
      if (![...state.installations.values()].includes(installationId)) return NOT_FOUND;
      const issued = state.issueToken(installationId, now() + tokenTtlMs);

      return {
        status: 201,
        body: {
          token: issued.token,
          expires_at: new Date(issued.expiresAtMs).toISOString(),
          permissions: { administration: 'write', actions: 'write' },
          repository_selection: 'all',
        },
      };
    },
    'generate-jitconfig': ({ params, body }) => {
      const repo = repoOf(params);
      const asked = jitRequestOf(body);
      if (asked === null) return message(422, 'Validation Failed');
      if (asked.group !== 1) return message(404, 'Runner group not found');
      if (state.runners(repo).some((r) => r.name === asked.name))
        return message(409, `Already exists - A runner with the name ${asked.name} already exists.`);
      const issued = state.issueJitConfig(repo, asked.name, asked.labels, asked.workFolder);
      const runner = state.runners(repo).find((r) => r.id === issued.runnerId);

      return {
        status: 201,
        body: { runner: runner === undefined ? null : runnerJson(runner), encoded_jit_config: issued.encodedJitConfig },
      };
    },
    'get-job': ({ params }) => {
      const job = state.job(repoOf(params), params[2] ?? '');
      if (job === undefined) return NOT_FOUND;

      return {
        status: 200,
        body: {
          id: Number(job.id),
          run_id: Number(job.runId),
          status: job.status,
          conclusion: job.conclusion,
          runner_name: job.runnerName,
          labels: job.labels,
        },
      };
    },
    'rerun-job': ({ params }) => {
      const repo = repoOf(params);
      const job = state.job(repo, params[2] ?? '');
      if (job === undefined) return NOT_FOUND;
      if (job.status !== 'completed') return message(403, 'This workflow is already running');
      state.reruns.push({ repo, jobId: job.id });
      job.status = 'queued';
      job.conclusion = null;

      return { status: 201, body: {} };
    },
    'list-runners': ({ params, query }) => {
      const perPage = Math.min(100, Number(query['per_page'] ?? '30'));
      const page = Math.max(1, Number(query['page'] ?? '1'));
      const all = state.runners(repoOf(params));

      return {
        status: 200,
        body: { total_count: all.length, runners: all.slice((page - 1) * perPage, page * perPage).map(runnerJson) },
      };
    },
    'delete-runner': ({ params }) => {
      const repo = repoOf(params);
      const runner = state.runners(repo).find((r) => r.id === Number(params[2]));
      if (runner === undefined) return NOT_FOUND;
      if (runner.busy) return message(422, `Bad request - Runner "${runner.name}" is still running a job"`);
      state.removeRunner(repo, runner.id);

      return { status: 204 };
    },
  };

  /** 401/404 when the credential does not open this route, else null. */
  const refuse = (spec: RouteSpec, credential: Credential, params: ReadonlyArray<string>): Answer | null => {
    if (spec.auth === 'jwt') {
      if (credential.kind !== 'jwt') return message(401, 'A JSON web token could not be decoded');
      const verdict = verifyAppJwt(credential.value, options.publicKey, appId, Math.floor(Date.now() / 1000));

      return verdict.ok ? null : message(401, verdict.reason);
    }
    const token = credential.kind === 'token' ? state.tokens.get(credential.value) : undefined;
    if (token === undefined || token.expiresAtMs <= now()) return message(401, 'Bad credentials');

    // An installation token opens only its own owner's repositories; GitHub answers 404 for the others.
    return state.installationOfOwner(params[0] ?? '') === token.installationId ? null : NOT_FOUND;
  };

  const respond = (res: ServerResponse, answer: Answer): void => {
    const payload = answer.status === 204 || answer.body === undefined ? '' : JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      ...(payload === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...answer.headers,
    });
    res.end(payload);
  };

  /** The answer due: a refusal, a queued fault (after its delay), or the route's own answer. */
  const serve = async (spec: RouteSpec, url: URL, credential: Credential, body: unknown): Promise<Answer | 'drop'> => {
    const params = (spec.pattern.exec(url.pathname) ?? []).slice(1).map((p) => decodeURIComponent(p));
    const refusal = refuse(spec, credential, params);
    if (refusal !== null) return refusal;
    const fault = faults.take(spec.route);
    if (fault === undefined) return handlers[spec.route]({ params, query: Object.fromEntries(url.searchParams), body });
    if (fault.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));

    return fault.status === 'drop' ? 'drop' : { status: fault.status, headers: fault.headers, body: fault.body };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const credential = credentialOf(req);
    const spec = ROUTES.find((r) => r.method === method && r.pattern.test(url.pathname));
    const answer = spec === undefined ? NOT_FOUND : await serve(spec, url, credential, body);
    const status: RecordedCall['status'] =
      answer === 'drop' ? 'dropped' : req.socket.destroyed ? 'abandoned' : answer.status;
    calls.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      route: spec?.route ?? null,
      body,
      auth: credential.kind,
      status,
    });
    if (answer === 'drop') req.socket.destroy();
    else if (status !== 'abandoned') respond(res, answer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      respond(res, message(500, error instanceof Error ? error.message : String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    calls,
    callsTo: (route) => calls.filter((c) => c.route === route),
    fail: (route, ...queued) => faults.add(route, queued),
    reset: () => {
      calls.length = 0;
      faults.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};
