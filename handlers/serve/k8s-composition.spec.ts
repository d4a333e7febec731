import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import * as E from 'fp-ts/lib/Either.js';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { podNameFor, secretNameFor } from '../../adapters/k8s/index.js';
import { createRunnerPodCommand } from '../../adapters/k8s/testing.js';
import { createMemoryEventStore } from '../../adapters/store-memory/index.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import { adminKubeConfig, freshNamespace, kubeReady, setPodStatus } from '../../test/harness/kube-apiserver-client.js';
import { collectRaw, loadConfig } from './config.js';
import { openK8sBackend, type K8sSettings } from './k8s-composition.js';
import { createObservationRecorder } from './record-observation.js';

const IMAGE = 'registry.example.com/runs-fleet-runner:1';

const GITHUB = { RUNS_FLEET_GITHUB_APP_ID: '1', RUNS_FLEET_GITHUB_APP_PRIVATE_KEY: 'key' };
const load = (env: Record<string, string>) => loadConfig(collectRaw(env, {}));
const problems = (env: Record<string, string>) => {
  const config = load(env);

  return E.isLeft(config) ? config.left.map((p) => `${p.setting}: ${p.message}`) : [];
};
const k8sFrom = (env: Record<string, string>): K8sSettings => {
  const config = load(env);
  if (E.isLeft(config) || config.right.k8s === null) throw new Error(JSON.stringify(config));

  return config.right.k8s;
};

describe('Kubernetes backend settings', () => {
  it('reads the environment with its defaults', () => {
    expect(k8sFrom({ ...GITHUB, RUNS_FLEET_COMPUTE: 'k8s', RUNS_FLEET_K8S_RUNNER_IMAGE: IMAGE })).toEqual({
      namespace: null,
      runnerImage: IMAGE,
      imagePullPolicy: null,
      podTemplate: null,
      kubeconfig: null,
      context: null,
      memoryPerCpuGiB: 4,
    });
  });

  it('names the setting and what it allows', () => {
    const env = { ...GITHUB, RUNS_FLEET_COMPUTE: 'ec2+k8s', RUNS_FLEET_SUBNET_IDS: 'subnet-1' };
    expect(problems(env)).toEqual([
      'RUNS_FLEET_K8S_RUNNER_IMAGE: is required with --compute ec2+k8s; allowed: an image reference',
    ]);
    const bad = {
      ...env,
      RUNS_FLEET_K8S_RUNNER_IMAGE: IMAGE,
      RUNS_FLEET_K8S_IMAGE_PULL_POLICY: 'Sometimes',
      RUNS_FLEET_K8S_MEMORY_PER_CPU_GIB: '0',
      RUNS_FLEET_K8S_NAMESPACE: 'CI',
    };
    expect(problems(bad).join('\n')).toMatch(
      /RUNS_FLEET_K8S_IMAGE_PULL_POLICY: "Sometimes" is not one of Always \| IfNotPresent \| Never/,
    );
    expect(problems(bad).join('\n')).toMatch(/RUNS_FLEET_K8S_MEMORY_PER_CPU_GIB: "0" is not a number in 0.25..64/);
    expect(problems(bad).join('\n')).toMatch(/RUNS_FLEET_K8S_NAMESPACE: "CI" is not a namespace name/);
    expect(problems({ RUNS_FLEET_COMPUTE: 'k8s', RUNS_FLEET_K8S_RUNNER_IMAGE: IMAGE }).join('\n')).toMatch(
      /RUNS_FLEET_COMPUTE: k8s needs a GitHub App/,
    );
  });
});

describe('[kube-apiserver] Kubernetes backend composition', () => {
  it('records pod lifecycle on the machine stream, and deletes a finished pod with its Secret', async () => {
    const namespace = await freshNamespace('composition');
    const dir = await mkdtemp(join(tmpdir(), 'k8s-composition-'));
    const template = join(dir, 'pod-template.yaml');
    await writeFile(template, 'labels: { team: ci }\n');
    const settings = k8sFrom({
      ...GITHUB,
      RUNS_FLEET_COMPUTE: 'k8s',
      RUNS_FLEET_K8S_RUNNER_IMAGE: IMAGE,
      RUNS_FLEET_K8S_NAMESPACE: namespace,
      RUNS_FLEET_K8S_KUBECONFIG: (await kubeReady()).kubeconfig,
      RUNS_FLEET_K8S_POD_TEMPLATE: template,
    });
    const store = createMemoryEventStore();
    const backend = await openK8sBackend(settings, {
      logger: pino({ level: 'silent' }),
      report: createObservationRecorder(store, () => new Date().toISOString()),
    });
    await backend.start();
    try {
      const command = createRunnerPodCommand({ label: 'runs-fleet/cpu=2/arch=arm64/backend=k8s' });
      const { machineId } = command.data;
      const name = podNameFor(machineId);
      expect(E.isRight(await backend.compute.launch(command))).toBe(true);
      await backend.configs.put({
        machineId,
        runnerName: command.data.request.runnerName,
        labels: [command.data.request.label],
        repo: 'acme/widgets',
        jobId: '4242',
        encodedJitConfig: 'aml0',
      });
      const core = (await adminKubeConfig()).makeApiClient(CoreV1Api);
      expect((await core.readNamespacedPod({ name, namespace })).metadata?.labels?.['team']).toBe('ci');

      await setPodStatus(await adminKubeConfig(), namespace, name, { phase: 'Running' });
      await setPodStatus(await adminKubeConfig(), namespace, name, { phase: 'Succeeded' });

      await vi.waitFor(async () => {
        const types = (await store.read(machineStreamId(machineId))).map((e) => [e.type, e.data]);
        expect(types).toEqual([
          ['MachineRunning', { cloudId: name }],
          ['MachineTerminated', { cloudId: name, reason: 'pod-succeeded', command: null }],
        ]);
      });
      await vi.waitFor(async () => {
        expect((await core.listNamespacedPod({ namespace })).items).toEqual([]);
        expect((await core.listNamespacedSecret({ namespace })).items.map((s) => s.metadata?.name)).not.toContain(
          secretNameFor(machineId),
        );
      });
    } finally {
      await backend.close();
    }
  });
});
