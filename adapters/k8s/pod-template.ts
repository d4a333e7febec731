import { readFile } from 'node:fs/promises';
import type {
  V1Container,
  V1EnvVar,
  V1PodSecurityContext,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import * as E from 'fp-ts/lib/Either.js';
import { parse as parseYaml } from 'yaml';

/**
 * The pod template overrides file (`RUNS_FLEET_K8S_POD_TEMPLATE`, YAML or JSON): what a cluster needs around the
 * runner container that labels do not say: a service account, a priority class, extra tolerations and node labels,
 * sidecars such as docker-in-docker, volumes. The runner container, its resources, the architecture selector and the
 * spot placement stay the adapter's (docs/kubernetes.md has the format and an example).
 *
 * Checked once when the service starts, so a typo fails there with the field named, not at the first job. Object
 * shapes the API server owns (containers' other fields, volumes, security contexts) pass through as written and are
 * validated by the API server itself when the pod is created (a launch then fails as `invalid` with its message).
 */
export interface RunnerContainerOverrides {
  readonly env: ReadonlyArray<V1EnvVar>;
  readonly volumeMounts: ReadonlyArray<V1VolumeMount>;
  readonly securityContext: object | null;
}

export interface PodTemplateOverrides {
  readonly serviceAccountName: string | null;
  readonly automountServiceAccountToken: boolean;
  readonly priorityClassName: string | null;
  readonly runtimeClassName: string | null;
  readonly terminationGracePeriodSeconds: number | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: ReadonlyArray<V1Toleration>;
  readonly imagePullSecrets: ReadonlyArray<string>;
  readonly securityContext: V1PodSecurityContext | null;
  readonly runner: RunnerContainerOverrides;
  readonly sidecars: ReadonlyArray<V1Container>;
  readonly initContainers: ReadonlyArray<V1Container>;
  readonly volumes: ReadonlyArray<V1Volume>;
}

export const EMPTY_POD_TEMPLATE: PodTemplateOverrides = {
  serviceAccountName: null,
  // A runner runs untrusted workflow code: it gets no API credentials unless the template asks for them.
  automountServiceAccountToken: false,
  priorityClassName: null,
  runtimeClassName: null,
  terminationGracePeriodSeconds: null,
  labels: {},
  annotations: {},
  nodeSelector: {},
  tolerations: [],
  imagePullSecrets: [],
  securityContext: null,
  runner: { env: [], volumeMounts: [], securityContext: null },
  sidecars: [],
  initContainers: [],
  volumes: [],
};

/** The runner container's name and the runner-config volume's name: a template cannot reuse them. */
export const RUNNER_CONTAINER = 'runner';
export const RUNNER_CONFIG_VOLUME = 'runner-config';

const TOP_LEVEL_KEYS = [
  'serviceAccountName',
  'automountServiceAccountToken',
  'priorityClassName',
  'runtimeClassName',
  'terminationGracePeriodSeconds',
  'labels',
  'annotations',
  'nodeSelector',
  'tolerations',
  'imagePullSecrets',
  'securityContext',
  'runner',
  'sidecars',
  'initContainers',
  'volumes',
] as const;
const RUNNER_KEYS = ['env', 'volumeMounts', 'securityContext'] as const;
const TOLERATION_KEYS = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'] as const;
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TOLERATION_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type Obj = Record<string, unknown>;

class TemplateError extends Error {}

const fail = (path: string, problem: string): never => {
  throw new TemplateError(`${path}: ${problem}`);
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const object = (v: unknown, path: string): Obj => (isObj(v) ? v : fail(path, 'must be a mapping'));

const onlyKeys = (o: Obj, allowed: ReadonlyArray<string>, path: string): void => {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) fail(`${path}${key}`, `unknown field (allowed: ${allowed.join(', ')})`);
  }
};

const str = (v: unknown, path: string): string =>
  typeof v === 'string' && v !== '' ? v : fail(path, 'must be a non-empty string');

const name = (v: unknown, path: string, pattern: RegExp, what: string): string => {
  const s = str(v, path);

  return s.length <= 253 && pattern.test(s) ? s : fail(path, `${JSON.stringify(s)} is not a valid ${what}`);
};

const optional = <T>(o: Obj, key: string, read: (v: unknown, path: string) => T, path: string): T | null =>
  o[key] === undefined || o[key] === null ? null : read(o[key], `${path}${key}`);

const list = <T>(v: unknown, path: string, item: (v: unknown, path: string) => T): T[] =>
  Array.isArray(v) ? v.map((x, i) => item(x, `${path}[${i}]`)) : fail(path, 'must be a list');

const stringMap = (v: unknown, path: string): Record<string, string> => {
  const o = object(v, path);
  for (const [k, value] of Object.entries(o)) {
    if (typeof value !== 'string') fail(`${path}.${k}`, 'must be a string (quote numbers and booleans)');
  }

  return o as Record<string, string>;
};

const toleration = (v: unknown, path: string): V1Toleration => {
  const o = object(v, path);
  onlyKeys(o, TOLERATION_KEYS, `${path}.`);
  const operator = optional(o, 'operator', str, `${path}.`);
  if (operator !== null && !TOLERATION_OPERATORS.includes(operator)) {
    fail(`${path}.operator`, `${JSON.stringify(operator)} (allowed: ${TOLERATION_OPERATORS.join(', ')})`);
  }
  const effect = optional(o, 'effect', str, `${path}.`);
  if (effect !== null && !TOLERATION_EFFECTS.includes(effect)) {
    fail(`${path}.effect`, `${JSON.stringify(effect)} (allowed: ${TOLERATION_EFFECTS.join(', ')})`);
  }
  if (o['tolerationSeconds'] !== undefined && !Number.isInteger(o['tolerationSeconds'])) {
    fail(`${path}.tolerationSeconds`, 'must be an integer');
  }

  return o as V1Toleration;
};

const container = (v: unknown, path: string): V1Container => {
  const o = object(v, path);
  const n = name(o['name'], `${path}.name`, DNS_LABEL, 'container name (a DNS-1123 label)');
  if (n === RUNNER_CONTAINER) fail(`${path}.name`, `"${RUNNER_CONTAINER}" is the runner container's name`);
  str(o['image'], `${path}.image`);

  return o as unknown as V1Container;
};

const envVar = (v: unknown, path: string): V1EnvVar => {
  const o = object(v, path);
  str(o['name'], `${path}.name`);
  if (o['value'] !== undefined && typeof o['value'] !== 'string') {
    fail(`${path}.value`, 'must be a string (quote numbers and booleans)');
  }

  return o as unknown as V1EnvVar;
};

const volumeMount = (v: unknown, path: string): V1VolumeMount => {
  const o = object(v, path);
  str(o['name'], `${path}.name`);
  str(o['mountPath'], `${path}.mountPath`);

  return o as unknown as V1VolumeMount;
};

const volume = (v: unknown, path: string): V1Volume => {
  const o = object(v, path);
  const n = name(o['name'], `${path}.name`, DNS_LABEL, 'volume name (a DNS-1123 label)');
  if (n === RUNNER_CONFIG_VOLUME) fail(`${path}.name`, `"${RUNNER_CONFIG_VOLUME}" is the runner config's volume`);

  return o as unknown as V1Volume;
};

const unique = (names: ReadonlyArray<string>, path: string): void => {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) fail(path, `name ${JSON.stringify(n)} is used twice`);
    seen.add(n);
  }
};

const runnerOverrides = (v: unknown, path: string): RunnerContainerOverrides => {
  const o = object(v, path);
  onlyKeys(o, RUNNER_KEYS, `${path}.`);

  return {
    env: optional(o, 'env', (x, p) => list(x, p, envVar), `${path}.`) ?? [],
    volumeMounts: optional(o, 'volumeMounts', (x, p) => list(x, p, volumeMount), `${path}.`) ?? [],
    securityContext: optional(o, 'securityContext', object, `${path}.`),
  };
};

const validate = (doc: unknown): PodTemplateOverrides => {
  if (doc === null || doc === undefined) return EMPTY_POD_TEMPLATE;
  const o = object(doc, '(top level)');
  onlyKeys(o, TOP_LEVEL_KEYS, '');
  const bool = (v: unknown, path: string): boolean =>
    typeof v === 'boolean' ? v : fail(path, 'must be true or false');
  const nonNegativeInt = (v: unknown, path: string): number =>
    Number.isInteger(v) && (v as number) >= 0
      ? (v as number)
      : fail(path, 'must be a whole number of seconds, 0 or more');
  const subdomain = (what: string) => (v: unknown, path: string) => name(v, path, DNS_SUBDOMAIN, what);

  const sidecars = optional(o, 'sidecars', (x, p) => list(x, p, container), '') ?? [];
  const initContainers = optional(o, 'initContainers', (x, p) => list(x, p, container), '') ?? [];
  unique(
    [...sidecars, ...initContainers].map((c) => c.name),
    'sidecars/initContainers',
  );
  const volumes = optional(o, 'volumes', (x, p) => list(x, p, volume), '') ?? [];
  unique(
    volumes.map((v) => v.name),
    'volumes',
  );

  return {
    serviceAccountName: optional(o, 'serviceAccountName', subdomain('service account name'), ''),
    automountServiceAccountToken:
      optional(o, 'automountServiceAccountToken', bool, '') ?? EMPTY_POD_TEMPLATE.automountServiceAccountToken,
    priorityClassName: optional(o, 'priorityClassName', subdomain('priority class name'), ''),
    runtimeClassName: optional(o, 'runtimeClassName', subdomain('runtime class name'), ''),
    terminationGracePeriodSeconds: optional(o, 'terminationGracePeriodSeconds', nonNegativeInt, ''),
    labels: optional(o, 'labels', stringMap, '') ?? {},
    annotations: optional(o, 'annotations', stringMap, '') ?? {},
    nodeSelector: optional(o, 'nodeSelector', stringMap, '') ?? {},
    tolerations: optional(o, 'tolerations', (x, p) => list(x, p, toleration), '') ?? [],
    imagePullSecrets: optional(o, 'imagePullSecrets', (x, p) => list(x, p, subdomain('Secret name')), '') ?? [],
    securityContext: optional(o, 'securityContext', object, '') as V1PodSecurityContext | null,
    runner: optional(o, 'runner', runnerOverrides, '') ?? EMPTY_POD_TEMPLATE.runner,
    sidecars,
    initContainers,
    volumes,
  };
};

/** Parses and checks a template's text; the error names the source, the field and what is allowed. */
export const parsePodTemplate = (text: string, source: string): E.Either<string, PodTemplateOverrides> => {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    return E.left(`pod template ${source}: not YAML or JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return E.right(validate(doc));
  } catch (e) {
    if (e instanceof TemplateError) return E.left(`pod template ${source}: ${e.message}`);
    throw e;
  }
};

/** Reads and checks the file; throws with the file, the field and the allowed values. */
export const loadPodTemplate = async (path: string): Promise<PodTemplateOverrides> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`pod template ${path}: cannot read it: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = parsePodTemplate(text, path);
  if (E.isLeft(parsed)) throw new Error(parsed.left);

  return parsed.right;
};
