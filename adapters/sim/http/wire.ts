import * as t from 'io-ts';

/** The JSON the sim-cloud server accepts (responses are read by our own client and trusted). */
export const MachineIdsBody = t.type({ machineIds: t.array(t.string) });
export const TerminateBody = t.type({ machineIds: t.array(t.string), reason: t.string });
export const InterruptBody = t.type({ machineId: t.string });

export const RunnerConfigBody = t.type({
  machineId: t.string,
  runnerName: t.string,
  labels: t.array(t.string),
  repo: t.union([t.string, t.null]),
  jobId: t.union([t.string, t.null]),
  encodedJitConfig: t.string,
});

export const EnqueueBody = t.intersection([
  t.type({ repo: t.string, labels: t.array(t.string) }),
  t.partial({ runId: t.string, name: t.string, workflowName: t.string }),
]);

export const JitConfigBody = t.type({
  repo: t.string,
  installationId: t.union([t.number, t.null]),
  runnerName: t.string,
  labels: t.array(t.string),
});

export const RepoBody = t.type({ repo: t.string });

export const ROUTES = {
  launch: '/v1/launch',
  findByCommandId: '/v1/machines/by-command-id/:commandId',
  machines: '/v1/machines',
  terminate: '/v1/terminate',
  stop: '/v1/stop',
  start: '/v1/start',
  interrupt: '/v1/interrupt',
  runnerConfig: '/v1/runner-configs/:machineId',
  githubObserve: '/v1/github/observe',
  githubEnqueue: '/v1/github/enqueue',
  githubJobs: '/v1/github/jobs',
  githubJob: '/v1/github/jobs/:jobId',
  githubRerun: '/v1/github/jobs/:jobId/rerun',
  githubJitConfig: '/v1/github/jit-config',
  githubRunners: '/v1/github/runners',
  githubRunner: '/v1/github/runners/:runnerId',
} as const;

/** `/v1/machines/by-command-id/:commandId` with the parameter filled in (URL-encoded). */
export const path = (route: string, params: Record<string, string | number> = {}): string =>
  route.replace(/:([A-Za-z]+)/g, (_match, name: string) => encodeURIComponent(String(params[name] ?? '')));
