import type {
  AssignRunner,
  Command,
  CreateRunnerPod,
  ProvisionCommand,
  FailJob,
  LaunchMachine,
  PrepareRunnerConfig,
  RequeueJob,
  RerunJob,
  TerminateMachines,
} from '../commands/commands.js';
import type { FailureReason, RequeueReason } from '../events/job-events.js';
import type { Backend } from '../shared/codecs.js';
import type { JobState } from '../job/job-state.js';
import { runnerNameFor, type LaunchRequest } from '../machine/launch-request.js';
import type { MachineState } from '../machine/machine-state.js';
import { spotAllowed } from '../spot/circuit-breaker.js';
import { jobStreamId, machineStreamId } from '../shared/ids.js';
import { commandIdFor, type Cause } from '../shared/command-id.js';
import type { ProcessViews } from './process-views.js';

/**
 * One builder per command, shared by `react` and `resume`, so both derive the same commandId for the same cause.
 * Intent keys are fixed strings: renaming one renumbers nothing else, but does change that command's ids.
 */

export const INTENT = {
  launch: 'launch-runner',
  prepareConfig: 'prepare-runner-config',
  assign: 'assign-runner',
  requeue: 'requeue-job',
  fail: 'fail-job',
  terminate: 'terminate-unneeded',
  rerun: 'rerun-job',
} as const;

const command = <C extends Command>(type: C['type'], cause: Cause, intent: string, data: C['data']): C =>
  ({ type, commandId: commandIdFor(cause, intent), cause, data }) as C;

/** The machine a job attempt gets is named by the command that launches it. */
export const machineIdForAttempt = (job: JobState): string | null =>
  job.jobId === null || job.requestVersion === 0
    ? null
    : commandIdFor({ streamId: jobStreamId(job.jobId), version: job.requestVersion }, INTENT.launch);

/** The label's backend, else the default; after an unschedulable pod, the fallback backend when there is one. */
export const backendFor = (views: ProcessViews, job: JobState): Backend => {
  const fallback = views.settings.fallbackBackend ?? null;
  if (job.backendFallback && fallback !== null) return fallback;

  return job.spec?.backend ?? views.settings.defaultBackend;
};

export const launchFor = (views: ProcessViews, job: JobState, now: string): ProvisionCommand | null => {
  const machineId = machineIdForAttempt(job);
  if (machineId === null || job.spec === null || job.jobId === null) return null;
  const spec = job.spec;
  const backend = backendFor(views, job);
  const wantsSpot = job.capacity === 'spot' && spotAllowed(views.breaker, spec.instanceTypes[0], now);
  const request: LaunchRequest = {
    backend,
    capacity: wantsSpot ? 'spot' : 'on-demand',
    // A pod is sized from the spec; the types are for EC2 (also when a job falls back to it).
    instanceTypes: backend === 'k8s' ? [] : [...spec.instanceTypes],
    arch: spec.arch,
    cpu: spec.cpu,
    ramGiB: spec.ram,
    diskGiB: spec.disk,
    label: spec.label,
    runnerName: runnerNameFor(machineId),
    pool: spec.pool,
    repo: job.repo,
    jobId: job.jobId,
    attempt: job.attempt,
  };
  const cause = { streamId: jobStreamId(job.jobId), version: job.requestVersion };
  const data = { machineId, request };

  return backend === 'k8s'
    ? command<CreateRunnerPod>('CreateRunnerPod', cause, INTENT.launch, data)
    : command<LaunchMachine>('LaunchMachine', cause, INTENT.launch, data);
};

export const prepareConfigFor = (machine: MachineState, job: JobState | undefined): PrepareRunnerConfig | null => {
  const launch = machine.launch;
  if (launch === null || machine.machineId === null) return null;
  const { request } = launch.data;
  // A claimed pool member registers under the job's own label (SPEC lesson 2), caused by its claim.
  // Views stored before warm pools have no `claim` field at all.
  const claim = machine.claim ?? null;
  const version = claim === null ? machine.requestedVersion : machine.claimedVersion;
  const cause = { streamId: machineStreamId(machine.machineId), version };

  return command<PrepareRunnerConfig>('PrepareRunnerConfig', cause, INTENT.prepareConfig, {
    machineId: machine.machineId,
    jobId: claim === null ? request.jobId : machine.jobId,
    repo: claim === null ? request.repo : claim.repo,
    label: claim === null ? request.label : claim.label,
    runnerName: request.runnerName,
    installationId: job?.installationId ?? null,
  });
};

export const assignFor = (machine: MachineState): AssignRunner | null => {
  if (machine.machineId === null || machine.jobId === null || machine.attempt === null) return null;
  const warm = machine.claimedVersion > 0;
  const version = warm ? machine.claimedVersion : machine.launchedVersion;
  const cause = { streamId: machineStreamId(machine.machineId), version };

  return command<AssignRunner>('AssignRunner', cause, INTENT.assign, {
    jobId: machine.jobId,
    attempt: machine.attempt,
    machineId: machine.machineId,
    runnerName: machine.runnerName ?? runnerNameFor(machine.machineId),
    // Only warm assignments carry the field, so cold-start commands keep their recorded shape.
    ...(warm ? { source: 'warm-pool' as const } : {}),
  });
};

export interface RequeueInput {
  readonly reason: RequeueReason;
  readonly machineId: string | null;
  readonly detail: string;
}

export const requeueFor = (job: JobState, cause: Cause, input: RequeueInput): RequeueJob | null =>
  job.jobId === null
    ? null
    : command<RequeueJob>('RequeueJob', cause, `${INTENT.requeue}:${input.reason}`, {
        jobId: job.jobId,
        attempt: job.attempt,
        ...input,
      });

export const failFor = (
  job: JobState,
  cause: Cause,
  message: string,
  reason: FailureReason = 'launch-refused',
): FailJob | null =>
  job.jobId === null
    ? null
    : command<FailJob>('FailJob', cause, INTENT.fail, { jobId: job.jobId, attempt: job.attempt, reason, message });

export const terminateFor = (machine: MachineState, cause: Cause, reason: string): TerminateMachines | null =>
  machine.machineId === null
    ? null
    : command<TerminateMachines>('TerminateMachines', cause, INTENT.terminate, {
        machineIds: [machine.machineId],
        reason,
      });

export const rerunFor = (job: JobState): RerunJob | null =>
  job.jobId === null || job.repo === null
    ? null
    : command<RerunJob>('RerunJob', { streamId: jobStreamId(job.jobId), version: job.completedVersion }, INTENT.rerun, {
        jobId: job.jobId,
        repo: job.repo,
      });
