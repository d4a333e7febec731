import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { ANNOTATIONS, LABELS, podNameFor, secretNameFor } from './names.js';
import { SPOT_MARKERS } from './placement.js';
import { parsePodTemplate } from './pod-template.js';
import { buildRunnerPod, RUNNER_CONFIG_DIR } from './runner-pod.js';
import { createRunnerPodCommand, testPodConfig, TEST_RUNNER_IMAGE } from './testing.js';

const template = (yaml: string) => {
  const parsed = parsePodTemplate(yaml, 'test.yaml');
  if (E.isLeft(parsed)) throw new Error(parsed.left);

  return parsed.right;
};

const runnerOf = (pod: ReturnType<typeof buildRunnerPod>) => {
  const runner = pod.spec?.containers.find((c) => c.name === 'runner');
  if (runner === undefined) throw new Error('no runner container');

  return runner;
};

describe('runner pod from a CreateRunnerPod command', () => {
  it('sizes the runner from cpu=, ram= and disk=, and selects the arch', () => {
    const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=4/ram=16/arch=arm64/disk=50/backend=k8s' });
    const pod = buildRunnerPod(command, testPodConfig('ci'));

    expect(runnerOf(pod).resources).toEqual({
      requests: { cpu: '4', memory: '16Gi', 'ephemeral-storage': '50Gi' },
      limits: { memory: '16Gi', 'ephemeral-storage': '50Gi' },
    });
    expect(pod.spec?.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64' });
    expect(pod.metadata?.name).toBe(podNameFor(command.data.machineId));
    expect(pod.metadata?.namespace).toBe('ci');
    expect(runnerOf(pod).image).toBe(TEST_RUNNER_IMAGE);
  });

  it('asks the minimum of a cpu range, the configured GiB per vCPU without ram=, and no disk without disk=', () => {
    const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=2+8/backend=k8s' });
    const pod = buildRunnerPod(command, { ...testPodConfig('ci'), memoryPerCpuGiB: 3 });

    expect(runnerOf(pod).resources).toEqual({ requests: { cpu: '2', memory: '6Gi' }, limits: { memory: '6Gi' } });
    expect(pod.spec?.nodeSelector).toEqual({});
  });

  it('limits memory at the top of a ram range', () => {
    const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=2/ram=8+32/backend=k8s' });

    expect(runnerOf(buildRunnerPod(command, testPodConfig('ci'))).resources).toEqual({
      requests: { cpu: '2', memory: '8Gi' },
      limits: { memory: '32Gi' },
    });
  });

  it('tolerates and prefers the spot nodes of Karpenter, EKS, GKE and AKS for a spot job', () => {
    const pod = buildRunnerPod(createRunnerPodCommand({ label: 'runs-fleet/cpu=2/backend=k8s' }), testPodConfig('ci'));

    expect(pod.spec?.tolerations).toEqual(
      SPOT_MARKERS.map((m) => ({ key: m.key, operator: 'Equal', value: m.value, effect: 'NoSchedule' })),
    );
    const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(preferred.map((p) => p.preference.matchExpressions?.[0])).toEqual([
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
      { key: 'eks.amazonaws.com/capacityType', operator: 'In', values: ['SPOT'] },
      { key: 'cloud.google.com/gke-spot', operator: 'In', values: ['true'] },
      { key: 'kubernetes.azure.com/scalesetpriority', operator: 'In', values: ['spot'] },
    ]);
    expect(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
  });

  it('keeps a spot=false job off spot nodes, with no spot toleration', () => {
    const pod = buildRunnerPod(
      createRunnerPodCommand({ label: 'runs-fleet/cpu=2/spot=false/backend=k8s' }),
      testPodConfig('ci'),
    );

    expect(pod.spec?.tolerations).toEqual([]);
    const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    expect(required?.nodeSelectorTerms).toEqual([
      {
        matchExpressions: SPOT_MARKERS.map((m) => ({ key: m.key, operator: 'NotIn', values: [m.value] })),
      },
    ]);
    expect(pod.metadata?.labels?.[LABELS.capacity]).toBe('on-demand');
  });

  it('labels the pod with machine, command, job, pool, arch and managed, and mounts its config Secret', () => {
    const command = createRunnerPodCommand({
      label: 'runs-fleet/cpu=2/arch=amd64/pool=builds/backend=k8s',
      jobId: '987654321',
    });
    const pod = buildRunnerPod(command, testPodConfig('ci'));

    expect(pod.metadata?.labels).toMatchObject({
      [LABELS.managed]: 'true',
      [LABELS.machineId]: command.data.machineId,
      [LABELS.commandId]: command.commandId,
      [LABELS.jobId]: '987654321',
      [LABELS.arch]: 'amd64',
      [LABELS.capacity]: 'spot',
    });
    expect(pod.metadata?.annotations?.[ANNOTATIONS.label]).toBe(command.data.request.label);
    expect(pod.spec?.restartPolicy).toBe('Never');
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
    expect(pod.spec?.volumes?.[0]?.secret?.secretName).toBe(secretNameFor(command.data.machineId));
    expect(runnerOf(pod).volumeMounts?.[0]).toEqual({
      name: 'runner-config',
      mountPath: RUNNER_CONFIG_DIR,
      readOnly: true,
    });
  });

  it('applies the template around the runner; the adapter wins where both speak', () => {
    const t = template(`
serviceAccountName: runner
priorityClassName: ci-runners
labels: { team: infra, ${LABELS.managed}: "false" }
nodeSelector: { pool: ci, kubernetes.io/arch: amd64 }
tolerations:
  - { key: dedicated, operator: Equal, value: ci, effect: NoSchedule }
runner:
  env:
    - { name: DOCKER_HOST, value: "tcp://localhost:2375" }
    - { name: RUNS_FLEET_MACHINE_ID, value: spoofed }
sidecars:
  - name: dind
    image: docker:27-dind
    securityContext: { privileged: true }
volumes:
  - { name: work, emptyDir: {} }
`);
    const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=2/arch=arm64/backend=k8s' });
    const pod = buildRunnerPod(command, testPodConfig('ci', t));

    expect(pod.spec?.serviceAccountName).toBe('runner');
    expect(pod.spec?.priorityClassName).toBe('ci-runners');
    expect(pod.metadata?.labels).toMatchObject({ team: 'infra', [LABELS.managed]: 'true' });
    expect(pod.spec?.nodeSelector).toEqual({ pool: 'ci', 'kubernetes.io/arch': 'arm64' });
    expect(pod.spec?.tolerations).toContainEqual({
      key: 'dedicated',
      operator: 'Equal',
      value: 'ci',
      effect: 'NoSchedule',
    });
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['runner', 'dind']);
    expect(runnerOf(pod).env?.filter((e) => e.name === 'RUNS_FLEET_MACHINE_ID')).toEqual([
      { name: 'RUNS_FLEET_MACHINE_ID', value: command.data.machineId },
    ]);
    expect(runnerOf(pod).env).toContainEqual({ name: 'DOCKER_HOST', value: 'tcp://localhost:2375' });
    expect(pod.spec?.volumes?.map((v) => v.name)).toEqual(['runner-config', 'work']);
  });

  it('builds the same pod for the same command (a retry sends exactly what the first attempt sent)', () => {
    const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=4/ram=16/arch=arm64/disk=50/backend=k8s' });

    expect(buildRunnerPod(command, testPodConfig('ci'))).toEqual(buildRunnerPod(command, testPodConfig('ci')));
  });
});
