import type { V1EnvVar, V1Pod } from '@kubernetes/client-node';
import type { CreateRunnerPod } from '../../domain/commands/commands.js';
import { ANNOTATIONS, LABELS, labelValue, podNameFor, secretNameFor } from './names.js';
import { archNodeSelector, capacityAffinity, spotTolerations } from './placement.js';
import { RUNNER_CONFIG_VOLUME, RUNNER_CONTAINER, type PodTemplateOverrides } from './pod-template.js';
import { runnerResources } from './resources.js';

/**
 * The runner pod for a `CreateRunnerPod` command, built only from the request frozen in the command (a retry after a
 * crash sends the same pod). Ours wins over the template where both speak: our labels, the architecture selector,
 * the runner container and its resources.
 */
export interface RunnerPodConfig {
  readonly namespace: string;
  readonly image: string;
  readonly imagePullPolicy: string | null;
  readonly memoryPerCpuGiB: number;
  readonly template: PodTemplateOverrides;
}

/** Where the agent finds its runner config (the Secret's `config.json`, mounted read-only). */
export const RUNNER_CONFIG_DIR = '/etc/runs-fleet/runner-config';
export const RUNNER_CONFIG_KEY = 'config.json';
/** Owner and group read only: the runner's uid or the template's `securityContext.fsGroup` must match. */
const RUNNER_CONFIG_MODE = 0o440;

const definedValues = (entries: ReadonlyArray<readonly [string, string | null]>): Record<string, string> =>
  Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== null));

export const runnerPodLabels = (command: CreateRunnerPod): Record<string, string> => {
  const { machineId, request } = command.data;

  return definedValues([
    [LABELS.name, 'runs-fleet-runner'],
    [LABELS.component, 'runner'],
    [LABELS.managedBy, 'runs-fleet'],
    [LABELS.managed, 'true'],
    [LABELS.machineId, machineId],
    [LABELS.commandId, command.commandId],
    [LABELS.jobId, request.jobId === null ? null : labelValue(request.jobId)],
    [LABELS.pool, request.pool === null ? null : labelValue(request.pool)],
    [LABELS.arch, request.arch],
    [LABELS.capacity, request.capacity],
  ]);
};

/** The agent's settings; a template variable of the same name does not override them. */
const runnerEnv = (command: CreateRunnerPod, t: PodTemplateOverrides): V1EnvVar[] => {
  const { machineId, request } = command.data;
  const ours: V1EnvVar[] = [
    { name: 'RUNS_FLEET_MACHINE_ID', value: machineId },
    { name: 'RUNS_FLEET_RUNNER_NAME', value: request.runnerName },
    { name: 'RUNS_FLEET_RUNNER_LABEL', value: request.label },
    { name: 'RUNS_FLEET_RUNNER_CONFIG', value: `${RUNNER_CONFIG_DIR}/${RUNNER_CONFIG_KEY}` },
  ];
  const taken = new Set(ours.map((e) => e.name));

  return [...ours, ...t.runner.env.filter((e) => !taken.has(e.name))];
};

export const buildRunnerPod = (command: CreateRunnerPod, config: RunnerPodConfig): V1Pod => {
  const { machineId, request } = command.data;
  const t = config.template;
  const name = podNameFor(machineId);

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: config.namespace,
      labels: { ...t.labels, ...runnerPodLabels(command) },
      annotations: {
        // Karpenter must not consolidate a node away under a running job (it would be an interruption we caused).
        'karpenter.sh/do-not-disrupt': 'true',
        ...t.annotations,
        ...definedValues([
          [ANNOTATIONS.label, request.label],
          [ANNOTATIONS.repo, request.repo],
          [ANNOTATIONS.jobId, request.jobId],
          [ANNOTATIONS.pool, request.pool],
          [ANNOTATIONS.attempt, request.attempt === null ? null : String(request.attempt)],
        ]),
      },
    },
    spec: {
      // One job, one pod: a runner that exits is done, never restarted in place.
      restartPolicy: 'Never',
      automountServiceAccountToken: t.automountServiceAccountToken,
      ...(t.serviceAccountName === null ? {} : { serviceAccountName: t.serviceAccountName }),
      ...(t.priorityClassName === null ? {} : { priorityClassName: t.priorityClassName }),
      ...(t.runtimeClassName === null ? {} : { runtimeClassName: t.runtimeClassName }),
      ...(t.terminationGracePeriodSeconds === null
        ? {}
        : { terminationGracePeriodSeconds: t.terminationGracePeriodSeconds }),
      ...(t.securityContext === null ? {} : { securityContext: t.securityContext }),
      ...(t.imagePullSecrets.length === 0 ? {} : { imagePullSecrets: t.imagePullSecrets.map((n) => ({ name: n })) }),
      nodeSelector: { ...t.nodeSelector, ...archNodeSelector(request.arch) },
      tolerations: [...spotTolerations(request.capacity), ...t.tolerations],
      affinity: capacityAffinity(request.capacity),
      ...(t.initContainers.length === 0 ? {} : { initContainers: [...t.initContainers] }),
      containers: [
        {
          name: RUNNER_CONTAINER,
          image: config.image,
          ...(config.imagePullPolicy === null ? {} : { imagePullPolicy: config.imagePullPolicy }),
          env: runnerEnv(command, t),
          resources: runnerResources(request, config.memoryPerCpuGiB),
          volumeMounts: [
            { name: RUNNER_CONFIG_VOLUME, mountPath: RUNNER_CONFIG_DIR, readOnly: true },
            ...t.runner.volumeMounts,
          ],
          ...(t.runner.securityContext === null ? {} : { securityContext: t.runner.securityContext }),
        },
        ...t.sidecars,
      ],
      volumes: [
        {
          // Not optional: the kubelet holds the runner back until its config is written (PrepareRunnerConfig runs
          // after the launch), so the agent never starts without one.
          name: RUNNER_CONFIG_VOLUME,
          secret: { secretName: secretNameFor(machineId), defaultMode: RUNNER_CONFIG_MODE },
        },
        ...t.volumes,
      ],
    },
  };
};
