import * as E from 'fp-ts/lib/Either.js';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_POD_TEMPLATE, loadPodTemplate, parsePodTemplate } from './pod-template.js';

const errorOf = (text: string): string => {
  const parsed = parsePodTemplate(text, 'tpl.yaml');
  if (E.isRight(parsed)) throw new Error('expected a rejection');

  return parsed.left;
};

describe('pod template overrides file', () => {
  it('reads every field it documents', () => {
    const parsed = parsePodTemplate(
      `
serviceAccountName: ci-runner
automountServiceAccountToken: true
priorityClassName: runners
runtimeClassName: gvisor
terminationGracePeriodSeconds: 90
labels: { team: infra }
annotations: { cost-center: "42" }
nodeSelector: { node-pool: ci }
tolerations: [{ key: dedicated, operator: Exists, effect: NoSchedule }]
imagePullSecrets: [registry-creds]
securityContext: { fsGroup: 1001 }
runner:
  env: [{ name: FOO, value: bar }]
  volumeMounts: [{ name: cache, mountPath: /cache }]
  securityContext: { runAsUser: 1001 }
sidecars: [{ name: dind, image: "docker:27-dind" }]
initContainers: [{ name: warm, image: busybox }]
volumes: [{ name: cache, emptyDir: {} }]
`,
      'tpl.yaml',
    );

    expect(parsed).toEqual(
      E.right({
        serviceAccountName: 'ci-runner',
        automountServiceAccountToken: true,
        priorityClassName: 'runners',
        runtimeClassName: 'gvisor',
        terminationGracePeriodSeconds: 90,
        labels: { team: 'infra' },
        annotations: { 'cost-center': '42' },
        nodeSelector: { 'node-pool': 'ci' },
        tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
        imagePullSecrets: ['registry-creds'],
        securityContext: { fsGroup: 1001 },
        runner: {
          env: [{ name: 'FOO', value: 'bar' }],
          volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
          securityContext: { runAsUser: 1001 },
        },
        sidecars: [{ name: 'dind', image: 'docker:27-dind' }],
        initContainers: [{ name: 'warm', image: 'busybox' }],
        volumes: [{ name: 'cache', emptyDir: {} }],
      }),
    );
  });

  it('treats an empty file as no overrides', () => {
    expect(parsePodTemplate('', 'tpl.yaml')).toEqual(E.right(EMPTY_POD_TEMPLATE));
  });

  it('names an unknown field and the allowed ones', () => {
    expect(errorOf('serviceAccount: x')).toMatch(
      /^pod template tpl\.yaml: serviceAccount: unknown field \(allowed: serviceAccountName, .*volumes\)$/,
    );
    expect(errorOf('runner: { image: x }')).toBe(
      'pod template tpl.yaml: runner.image: unknown field (allowed: env, volumeMounts, securityContext)',
    );
  });

  it('names the field and the allowed values of a bad toleration', () => {
    expect(errorOf('tolerations: [{ key: a, operator: Equals }]')).toBe(
      'pod template tpl.yaml: tolerations[0].operator: "Equals" (allowed: Equal, Exists)',
    );
    expect(errorOf('tolerations: [{ key: a, effect: NoRun }]')).toBe(
      'pod template tpl.yaml: tolerations[0].effect: "NoRun" (allowed: NoSchedule, PreferNoSchedule, NoExecute)',
    );
  });

  it('refuses sidecars that take the runner container or runner-config volume names, or lack an image', () => {
    expect(errorOf('sidecars: [{ name: runner, image: x }]')).toBe(
      `pod template tpl.yaml: sidecars[0].name: "runner" is the runner container's name`,
    );
    expect(errorOf('sidecars: [{ name: dind }]')).toBe(
      'pod template tpl.yaml: sidecars[0].image: must be a non-empty string',
    );
    expect(errorOf('volumes: [{ name: runner-config, emptyDir: {} }]')).toBe(
      `pod template tpl.yaml: volumes[0].name: "runner-config" is the runner config's volume`,
    );
    expect(errorOf('sidecars: [{ name: a, image: x }]\ninitContainers: [{ name: a, image: y }]')).toBe(
      'pod template tpl.yaml: sidecars/initContainers: name "a" is used twice',
    );
  });

  it('asks for strings in label maps and env values, and names bad Kubernetes names', () => {
    expect(errorOf('labels: { tier: 1 }')).toBe(
      'pod template tpl.yaml: labels.tier: must be a string (quote numbers and booleans)',
    );
    expect(errorOf('runner: { env: [{ name: A, value: 3 }] }')).toBe(
      'pod template tpl.yaml: runner.env[0].value: must be a string (quote numbers and booleans)',
    );
    expect(errorOf('priorityClassName: High_Priority')).toBe(
      'pod template tpl.yaml: priorityClassName: "High_Priority" is not a valid priority class name',
    );
    expect(errorOf('terminationGracePeriodSeconds: -1')).toBe(
      'pod template tpl.yaml: terminationGracePeriodSeconds: must be a whole number of seconds, 0 or more',
    );
  });

  it('says when the file is not YAML, and when it cannot be read', async () => {
    expect(errorOf('tolerations: [')).toMatch(/^pod template tpl\.yaml: not YAML or JSON: /);
    const dir = await mkdtemp(join(tmpdir(), 'pod-template-'));
    await expect(loadPodTemplate(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read it/);
    await writeFile(join(dir, 'ok.yaml'), 'priorityClassName: runners\n');
    expect((await loadPodTemplate(join(dir, 'ok.yaml'))).priorityClassName).toBe('runners');
  });
});
