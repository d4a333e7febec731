import { DEFAULT_MEMORY_PER_CPU_GIB } from '../../adapters/k8s/resources.js';
import type { K8sSettings } from './k8s-composition.js';
import * as E from 'fp-ts/lib/Either.js';
import { isIP } from 'node:net';
import { compileAliases, type AliasRule } from '../../domain/labels/index.js';
import { parseStoreUrl, type StoreUrl } from '../cli/store-url.js';
import { SETTINGS, type SettingKey } from './settings.js';

/**
 * The one typed configuration of `runs-fleet serve`, decoded at start-up from flags (first) and environment. Every
 * problem is reported at once, each naming the setting, where it came from and what is allowed.
 */
export interface ServeConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly store: StoreUrl;
  readonly webhookSecret: string | null;
  readonly webhookSecretFile: string | null;
  readonly apiToken: string | null;
  /** The longest a caller may take to send a whole request (handlers/http/server.ts). */
  readonly httpRequestTimeoutMs: number;
  readonly compute: ComputeKind;
  /** With `compute: 'ec2'` (handlers/serve/ec2-composition.ts); defaults otherwise. */
  readonly ec2: Ec2Settings;
  /** With `compute: 'k8s'` or `'ec2+k8s'` (handlers/serve/k8s-composition.ts); null otherwise. */
  readonly k8s: K8sSettings | null;
  /** With k8s: how long a runner pod may stay unschedulable before its job moves or fails. */
  readonly k8sUnschedulableSeconds: number;
  readonly simCloudUrl: string | null;
  /** Where commands go: run in this process, or an SQS FIFO queue worked by every replica. */
  readonly bus: 'inprocess' | 'sqs';
  /** With `bus: 'sqs'`: the command queue. */
  readonly queueUrl: string | null;
  /** With a DynamoDB store: create missing tables at start (`handlers/serve/dynamodb-tables.ts`). */
  readonly createTables: boolean;
  /** With a DynamoDB store: the stream poller's shard lease duration. */
  readonly shardLeaseMs: number;
  readonly github: { readonly appId: number; readonly privateKey: string; readonly apiUrl: string } | null;
  readonly allowSimWithRealGithub: boolean;
  readonly aliases: ReadonlyArray<AliasRule>;
  readonly allowlist: ReadonlyArray<string>;
  readonly defaultBackend: 'ec2' | 'k8s';
  readonly logLevel: string;
  /** handlers/housekeeping; absent means on, with the default grace. */
  readonly housekeeping?: HousekeepingConfig;
  readonly sim: {
    readonly bootDelayMs: number;
    readonly jobDurationMs: number;
    readonly capacityErrorRate: number;
    readonly spotInterruptionRate: number;
    readonly seed: number;
  };
}

export const COMPUTE_KINDS = ['sim', 'sim-remote', 'ec2', 'k8s', 'ec2+k8s'] as const;
export type ComputeKind = (typeof COMPUTE_KINDS)[number];
/** Real compute: machines a simulated GitHub could never reach. */
export const isRealCompute = (compute: ComputeKind): boolean => compute !== 'sim' && compute !== 'sim-remote';
export const usesEc2 = (compute: ComputeKind): boolean => compute === 'ec2' || compute === 'ec2+k8s';
export const usesK8s = (compute: ComputeKind): boolean => compute === 'k8s' || compute === 'ec2+k8s';

export interface Ec2Settings {
  readonly region: string | null;
  /** EC2 and SSM endpoint override (an emulator); null: AWS. */
  readonly endpoint: string | null;
  readonly subnetIds: ReadonlyArray<string>;
  readonly launchTemplateName: string;
  readonly eventsQueueUrl: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly runnerConfigPrefix: string;
}

export interface HousekeepingConfig {
  readonly enabled: boolean;
  readonly orphanGraceMinutes: number;
}

export interface ConfigProblem {
  readonly setting: string;
  readonly message: string;
}

type Raw = Partial<Record<SettingKey, string>>;

/** Flags win over environment; the first of a setting's variables that is set wins over the later ones. */
export const collectRaw = (env: NodeJS.ProcessEnv, flags: Partial<Record<SettingKey, string>>): Raw => {
  const raw: Raw = {};
  for (const setting of SETTINGS) {
    const fromEnv = setting.env.map((name) => env[name]).find((value) => value !== undefined && value !== '');
    const value = flags[setting.key] ?? fromEnv;
    if (value !== undefined) raw[setting.key] = value;
  }

  return raw;
};

const sourceOf = (key: SettingKey): string => {
  const setting = SETTINGS.find((s) => s.key === key);
  const flag = setting !== undefined && 'flag' in setting ? `${setting.flag.split(' ')[0]} / ` : '';

  return `${flag}${setting?.env.join(' / ') ?? key}`;
};

const allowedOf = (key: SettingKey): string => SETTINGS.find((s) => s.key === key)?.allowed ?? '';

class Decoder {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly raw: Raw) {}

  private fail(key: SettingKey, why: string): void {
    this.problems.push({ setting: sourceOf(key), message: `${why}; allowed: ${allowedOf(key)}` });
  }

  text(key: SettingKey, fallback: string): string {
    return this.raw[key] ?? fallback;
  }

  optional(key: SettingKey, minLength = 1): string | null {
    const value = this.raw[key];
    if (value === undefined) return null;
    if (value.length < minLength) this.fail(key, `is ${value.length} characters long`);

    return value;
  }

  number(key: SettingKey, fallback: number, min: number, max: number, integer = true): number {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    const parsed = Number(value);
    const ok = value.trim() !== '' && Number.isFinite(parsed) && (!integer || Number.isInteger(parsed));
    if (!ok || parsed < min || parsed > max) {
      this.fail(key, `${JSON.stringify(value)} is not ${integer ? 'a whole number' : 'a number'} in ${min}..${max}`);

      return fallback;
    }

    return parsed;
  }

  choice<T extends string>(key: SettingKey, fallback: T, choices: ReadonlyArray<T>): T {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    if (!(choices as ReadonlyArray<string>).includes(value)) {
      this.fail(key, `${JSON.stringify(value)} is not one of ${choices.join(', ')}`);

      return fallback;
    }

    return value as T;
  }

  boolean(key: SettingKey): boolean {
    return this.choice(key, 'false', ['true', 'false']) === 'true';
  }

  check(key: SettingKey, ok: boolean, why: string): void {
    if (!ok) this.fail(key, why);
  }
}

/** Absent, or an http(s) URL. */
const isHttpUrl = (value: string | null): boolean =>
  value === null || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol));

const decodeBus = (d: Decoder): Pick<ServeConfig, 'bus' | 'queueUrl'> => {
  const bus = d.choice('bus', 'inprocess', ['inprocess', 'sqs']);
  const queueUrl = d.optional('queueUrl');
  d.check('queueUrl', bus !== 'sqs' || queueUrl !== null, 'is required with --bus sqs');
  d.check('queueUrl', isHttpUrl(queueUrl), `${JSON.stringify(queueUrl)} is not an http(s) URL`);

  return { bus, queueUrl };
};

/** `{"Key":"value",...}` with string values within EC2's tag limits, or the problem. */
const parseTags = (text: string): E.Either<string, Readonly<Record<string, string>>> => {
  const parsed = E.tryCatch(
    (): unknown => JSON.parse(text),
    () => 'is not JSON',
  );
  if (E.isLeft(parsed)) return parsed;
  const value = parsed.right;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return E.left('is not a JSON object');
  const entries = Object.entries(value);
  const bad = entries.find(
    ([k, v]) => typeof v !== 'string' || k.length === 0 || k.length > 128 || (v as string).length > 256,
  );

  return bad === undefined
    ? E.right(value as Record<string, string>)
    : E.left(`tag ${JSON.stringify(bad[0])} is invalid`);
};

const decodeEc2 = (d: Decoder, raw: Raw, compute: ServeConfig['compute']): Ec2Settings => {
  const ec2 = usesEc2(compute);
  const endpoint = d.optional('awsEndpoint');
  d.check('awsEndpoint', isHttpUrl(endpoint), `${JSON.stringify(endpoint)} is not an http(s) URL`);
  const eventsQueueUrl = d.optional('eventsQueueUrl');
  d.check('eventsQueueUrl', isHttpUrl(eventsQueueUrl), `${JSON.stringify(eventsQueueUrl)} is not an http(s) URL`);
  const subnetIds = (raw.subnetIds ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  d.check('subnetIds', !ec2 || subnetIds.length > 0, 'is required with --compute ec2');
  d.check(
    'subnetIds',
    subnetIds.every((id) => /^subnet-[0-9a-zA-Z]+$/.test(id)),
    `${JSON.stringify(raw.subnetIds)} names something that is not a subnet id`,
  );
  const tags = parseTags(raw.awsTags ?? '{}');
  if (E.isLeft(tags)) d.check('awsTags', false, tags.left);
  const launchTemplateName = d.text('launchTemplateName', 'runs-fleet-runner');
  d.check(
    'launchTemplateName',
    /^[a-zA-Z0-9().\-/_]{3,120}$/.test(launchTemplateName),
    'is not a launch template name',
  );
  const runnerConfigPrefix = d.text('runnerConfigPrefix', '/runs-fleet/runners');
  d.check(
    'runnerConfigPrefix',
    /^\/[A-Za-z0-9_.\-/]*[A-Za-z0-9_.-]$/.test(runnerConfigPrefix),
    `${JSON.stringify(runnerConfigPrefix)} is not an SSM parameter path`,
  );

  return {
    region: d.optional('awsRegion'),
    endpoint,
    subnetIds,
    launchTemplateName,
    eventsQueueUrl,
    tags: E.isRight(tags) ? tags.right : {},
    runnerConfigPrefix,
  };
};

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;

const decodeK8s = (d: Decoder, compute: ComputeKind): K8sSettings | null => {
  const image = d.optional('k8sRunnerImage');
  const k8s = usesK8s(compute);
  d.check('k8sRunnerImage', !k8s || image !== null, `is required with --compute ${compute}`);
  const namespace = d.optional('k8sNamespace');
  d.check(
    'k8sNamespace',
    namespace === null || /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace),
    `${JSON.stringify(namespace)} is not a namespace name (a DNS-1123 label)`,
  );
  const policy = d.optional('k8sImagePullPolicy');
  d.check(
    'k8sImagePullPolicy',
    policy === null || (PULL_POLICIES as ReadonlyArray<string>).includes(policy),
    `${JSON.stringify(policy)} is not one of ${PULL_POLICIES.join(' | ')}`,
  );
  const memoryPerCpuGiB = d.number('k8sMemoryPerCpuGiB', DEFAULT_MEMORY_PER_CPU_GIB, 0.25, 64, false);
  if (!k8s || image === null) return null;

  return {
    namespace,
    runnerImage: image,
    imagePullPolicy: policy as K8sSettings['imagePullPolicy'],
    podTemplate: d.optional('k8sPodTemplate'),
    kubeconfig: d.optional('k8sKubeconfig'),
    context: d.optional('k8sContext'),
    memoryPerCpuGiB,
  };
};

export const loadConfig = (raw: Raw): E.Either<ReadonlyArray<ConfigProblem>, ServeConfig> => {
  const d = new Decoder(raw);
  const dataDir = d.text('dataDir', './.runs-fleet');
  const storeText = d.text('store', `sqlite:${dataDir}/events.db`);
  const store = parseStoreUrl(storeText);
  d.check('store', E.isRight(store) && store.right.kind !== 'jsonl', `${JSON.stringify(storeText)} cannot be served`);
  const host = d.text('host', '0.0.0.0');
  d.check('host', isIP(host) !== 0 || /^[a-zA-Z0-9.-]+$/.test(host), `${JSON.stringify(host)} is not an address`);
  const aliases = compileAliases(raw.labelAliases ?? '[]');
  if (E.isLeft(aliases)) d.check('labelAliases', false, aliases.left.message);
  const appId = raw.githubAppId === undefined ? null : d.number('githubAppId', 0, 1, Number.MAX_SAFE_INTEGER);
  const privateKey = d.optional('githubAppPrivateKey');
  d.check(
    'githubAppPrivateKey',
    (appId === null) === (privateKey === null),
    'set both the App id and its key, or neither',
  );
  const github =
    appId !== null && privateKey !== null
      ? { appId, privateKey, apiUrl: d.text('githubApiUrl', 'https://api.github.com') }
      : null;
  const compute = d.choice('compute', 'sim', COMPUTE_KINDS);
  d.check(
    'compute',
    !isRealCompute(compute) || github !== null,
    `${compute} needs a GitHub App (RUNS_FLEET_GITHUB_APP_ID and RUNS_FLEET_GITHUB_APP_PRIVATE_KEY): real machines with a simulated GitHub would start runners no job can reach`,
  );
  const ec2 = decodeEc2(d, raw, compute);
  const simCloudUrl = d.optional('simCloudUrl');
  d.check('simCloudUrl', compute !== 'sim-remote' || simCloudUrl !== null, 'is required with --compute sim-remote');
  d.check('simCloudUrl', isHttpUrl(simCloudUrl), `${JSON.stringify(simCloudUrl)} is not an http(s) URL`);
  const { bus, queueUrl } = decodeBus(d);
  const allowSimWithRealGithub = d.boolean('allowSimWithRealGithub');
  d.check(
    'allowSimWithRealGithub',
    github === null || allowSimWithRealGithub || isRealCompute(compute),
    'a real GitHub App with the simulated cloud is refused: jobs would "run" in the simulation and never at GitHub; set it to true only if you mean it',
  );
  const config: ServeConfig = {
    port: d.number('port', 8080, 0, 65535),
    host,
    dataDir,
    store: E.isRight(store) ? store.right : { kind: 'sqlite', path: `${dataDir}/events.db` },
    webhookSecret: d.optional('webhookSecret', 16),
    webhookSecretFile: d.optional('webhookSecretFile'),
    apiToken: d.optional('apiToken', 16),
    httpRequestTimeoutMs: d.number('httpRequestTimeoutMs', 15_000, 100, 300_000),
    compute,
    ec2,
    k8s: decodeK8s(d, compute),
    k8sUnschedulableSeconds: d.number('k8sUnschedulableSeconds', 300, 10, 86_400),
    simCloudUrl,
    bus,
    queueUrl,
    createTables: d.boolean('createTables'),
    shardLeaseMs: d.number('shardLeaseMs', 30_000, 1000, 600_000),
    github,
    allowSimWithRealGithub,
    aliases: E.isRight(aliases) ? aliases.right : [],
    allowlist: (raw.allowlist ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    defaultBackend: d.choice('defaultBackend', 'ec2', ['ec2', 'k8s']),
    logLevel: d.choice('logLevel', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
    housekeeping: {
      enabled: d.choice('housekeeping', 'on', ['on', 'off']) === 'on',
      orphanGraceMinutes: d.number('housekeepingOrphanGraceMinutes', 15, 5, 1440),
    },
    sim: {
      bootDelayMs: d.number('simBootDelayMs', 2000, 0, 600_000),
      jobDurationMs: d.number('simJobDurationMs', 3000, 0, 3_600_000),
      capacityErrorRate: d.number('simCapacityErrorRate', 0, 0, 1, false),
      spotInterruptionRate: d.number('simSpotInterruptionRate', 0, 0, 1, false),
      seed: d.number('simSeed', 1, -(2 ** 31), 2 ** 31 - 1),
    },
  };

  return d.problems.length > 0 ? E.left(d.problems) : E.right(config);
};

export const formatProblems = (problems: ReadonlyArray<ConfigProblem>): string =>
  ['runs-fleet serve: the configuration has problems:', ...problems.map((p) => `  ${p.setting}: ${p.message}`)].join(
    '\n',
  );

export const settingsHelp = (): string =>
  SETTINGS.map((s) => {
    const flag = 'flag' in s ? `${s.flag}, ` : '';

    return `  ${flag}${s.env.join(' | ')}\n      ${s.description}. Default: ${s.default}. Allowed: ${s.allowed}.`;
  }).join('\n');
