import * as t from 'io-ts';

/**
 * The parts of GitHub's answers the adapter reads. @octokit/request parses JSON with json-with-bigint, so an id past
 * 2^53 arrives as a bigint: `NumericId` accepts both (runner ids stay far below that; job ids are never read back).
 */
const NumericId = new t.Type<number, number, unknown>(
  'NumericId',
  (u): u is number => typeof u === 'number',
  (u, c) => (typeof u === 'number' ? t.success(u) : typeof u === 'bigint' ? t.success(Number(u)) : t.failure(u, c)),
  (n) => n,
);

const nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

export const InstallationAnswer = t.type({ id: NumericId });

export const AccessTokenAnswer = t.type({ token: t.string, expires_at: t.string });

export const JitConfigAnswer = t.type({
  runner: t.type({ id: NumericId, name: t.string }),
  encoded_jit_config: t.string,
});

export const JobAnswer = t.type({
  status: t.keyof({
    queued: null,
    in_progress: null,
    completed: null,
    waiting: null,
    pending: null,
    requested: null,
  }),
  conclusion: t.union([nullable(t.string), t.undefined]),
  runner_name: t.union([nullable(t.string), t.undefined]),
  labels: t.union([t.array(t.string), t.undefined]),
});

export const RunnerAnswer = t.type({
  id: NumericId,
  name: t.string,
  status: t.string,
  busy: t.boolean,
});

export const RunnersPage = t.type({ total_count: NumericId, runners: t.array(RunnerAnswer) });
