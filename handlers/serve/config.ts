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
  readonly compute: 'sim' | 'sim-remote';
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
  readonly sim: {
    readonly bootDelayMs: number;
    readonly jobDurationMs: number;
    readonly capacityErrorRate: number;
    readonly spotInterruptionRate: number;
    readonly seed: number;
  };
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
  const compute = d.choice('compute', 'sim', ['sim', 'sim-remote']);
  const simCloudUrl = d.optional('simCloudUrl');
  d.check('simCloudUrl', compute !== 'sim-remote' || simCloudUrl !== null, 'is required with --compute sim-remote');
  d.check('simCloudUrl', isHttpUrl(simCloudUrl), `${JSON.stringify(simCloudUrl)} is not an http(s) URL`);
  const { bus, queueUrl } = decodeBus(d);
  const allowSimWithRealGithub = d.boolean('allowSimWithRealGithub');
  d.check(
    'allowSimWithRealGithub',
    github === null || allowSimWithRealGithub,
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
    compute,
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
