/**
 * Every setting of `runs-fleet serve`, in one table: its environment variable(s), its flag, what it means, its default
 * and its allowed values. `serve --help` and docs/configuration.md are written from this table (a test checks the
 * docs name every variable), and `loadConfig` decodes from it, naming the setting and the allowed values on error.
 */
export interface Setting {
  readonly key: string;
  readonly env: ReadonlyArray<string>;
  readonly flag?: string;
  readonly description: string;
  readonly default: string;
  readonly allowed: string;
  readonly secret?: boolean;
}

export const SETTINGS = [
  {
    key: 'port',
    env: ['PORT', 'RUNS_FLEET_PORT'],
    flag: '--port <n>',
    description: 'HTTP port',
    default: '8080',
    allowed: '1..65535',
  },
  {
    key: 'host',
    env: ['RUNS_FLEET_HOST'],
    flag: '--host <address>',
    description: 'address to listen on (the read API and /metrics answer non-loopback callers only with the API token)',
    default: '0.0.0.0',
    allowed: 'an IP address or host name',
  },
  {
    key: 'dataDir',
    env: ['RUNS_FLEET_DATA_DIR'],
    flag: '--data-dir <dir>',
    description: 'data folder (SQLite store, generated secrets, runner configs)',
    default: './.runs-fleet',
    allowed: 'a folder path',
  },
  {
    key: 'store',
    env: ['RUNS_FLEET_STORE'],
    flag: '--store <url>',
    description: 'event store',
    default: 'sqlite:<data-dir>/events.db',
    allowed: 'sqlite:<path> | dynamodb://<table>?region=<r>&endpoint=<url>',
  },
  {
    key: 'webhookSecret',
    env: ['RUNS_FLEET_WEBHOOK_SECRET', 'RUNS_FLEET_GITHUB_WEBHOOK_SECRET'],
    description: 'GitHub webhook secret',
    default: 'generated into <data-dir>/webhook-secret (mode 0600); its path is printed',
    allowed: 'at least 16 characters',
    secret: true,
  },
  {
    key: 'webhookSecretFile',
    env: ['RUNS_FLEET_WEBHOOK_SECRET_FILE'],
    flag: '--webhook-secret-file <path>',
    description: 'read the webhook secret from this file instead',
    default: '(none)',
    allowed: 'a readable file',
  },
  {
    key: 'apiToken',
    env: ['RUNS_FLEET_API_TOKEN'],
    description: 'bearer token for the read API and /metrics from non-loopback callers',
    default: '(none: loopback only)',
    allowed: 'at least 16 characters',
    secret: true,
  },
  {
    key: 'compute',
    env: ['RUNS_FLEET_COMPUTE'],
    flag: '--compute <kind>',
    description: 'where machines come from',
    default: 'sim',
    allowed: 'sim | sim-remote',
  },
  {
    key: 'simCloudUrl',
    env: ['RUNS_FLEET_SIM_CLOUD_URL'],
    flag: '--sim-cloud-url <url>',
    description: 'with --compute sim-remote: the `runs-fleet sim-cloud` process to use',
    default: '(none)',
    allowed: 'an http URL',
  },
  {
    key: 'createTables',
    env: ['RUNS_FLEET_CREATE_TABLES'],
    flag: '--create-tables',
    description:
      'with a dynamodb:// store: create the events table and its <table>-views, <table>-dead-letters and <table>-leases tables when missing (handy on DynamoDB Local; in production infra/ creates them)',
    default: 'false',
    allowed: 'true | false',
  },
  {
    key: 'shardLeaseMs',
    env: ['RUNS_FLEET_SHARD_LEASE_MS'],
    description:
      "with a dynamodb:// store: how long a replica's lease on a stream shard lasts unless renewed (a dead replica's shards move on after it; shards are looked at every third of it)",
    default: '30000',
    allowed: '1000..600000',
  },
  {
    key: 'bus',
    env: ['RUNS_FLEET_BUS'],
    flag: '--bus <kind>',
    description:
      'command bus: in this process, or an SQS FIFO queue that every replica both sends to and works from (visibility 120 s, long poll 20 s, 5 at once)',
    default: 'inprocess',
    allowed: 'inprocess | sqs',
  },
  {
    key: 'queueUrl',
    env: ['RUNS_FLEET_QUEUE_URL'],
    flag: '--queue-url <url>',
    description: 'with --bus sqs: the command queue (a `.fifo` queue with its dead-letter queue, as infra/ makes it)',
    default: '(none)',
    allowed: 'an SQS queue URL',
  },
  {
    key: 'githubAppId',
    env: ['RUNS_FLEET_GITHUB_APP_ID'],
    description: 'GitHub App id; with no App configured, a simulated GitHub is used',
    default: '(none: simulated GitHub)',
    allowed: 'a number',
  },
  {
    key: 'githubAppPrivateKey',
    env: ['RUNS_FLEET_GITHUB_APP_PRIVATE_KEY'],
    description: 'the App private key (PEM, or base64 of the PEM)',
    default: '(none)',
    allowed: 'a PEM RSA key',
    secret: true,
  },
  {
    key: 'githubApiUrl',
    env: ['RUNS_FLEET_GITHUB_API_URL'],
    description: 'GitHub API base URL (GitHub Enterprise Server: https://<host>/api/v3)',
    default: 'https://api.github.com',
    allowed: 'an http(s) URL',
  },
  {
    key: 'allowSimWithRealGithub',
    env: ['RUNS_FLEET_ALLOW_SIM_WITH_REAL_GITHUB'],
    flag: '--allow-sim-with-real-github',
    description:
      'accept a real GitHub App with the simulated cloud (jobs would "run" in the simulation, never at GitHub)',
    default: 'false',
    allowed: 'true | false',
  },
  {
    key: 'labelAliases',
    env: ['RUNS_FLEET_LABEL_ALIASES'],
    description: 'label alias rules, a JSON array of {match, regex?, spec} (docs/labels.md)',
    default: '[]',
    allowed: 'JSON',
  },
  {
    key: 'allowlist',
    env: ['RUNS_FLEET_ALLOWED_REPOS'],
    description: 'only jobs of these owners or owner/repo pairs are taken (comma-separated)',
    default: '(all)',
    allowed: 'owner or owner/repo, comma-separated',
  },
  {
    key: 'defaultBackend',
    env: ['RUNS_FLEET_DEFAULT_BACKEND'],
    description: 'backend for jobs whose label names no backend=',
    default: 'ec2',
    allowed: 'ec2 | k8s',
  },
  {
    key: 'logLevel',
    env: ['RUNS_FLEET_LOG_LEVEL'],
    flag: '--log-level <level>',
    description: 'log level',
    default: 'info',
    allowed: 'fatal | error | warn | info | debug | trace',
  },
  {
    key: 'simBootDelayMs',
    env: ['RUNS_FLEET_SIM_BOOT_DELAY_MS'],
    description: 'simulated machines: boot time',
    default: '2000',
    allowed: '0..600000',
  },
  {
    key: 'simJobDurationMs',
    env: ['RUNS_FLEET_SIM_JOB_DURATION_MS'],
    description: 'simulated runners: how long a job runs',
    default: '3000',
    allowed: '0..3600000',
  },
  {
    key: 'simCapacityErrorRate',
    env: ['RUNS_FLEET_SIM_CAPACITY_ERROR_RATE'],
    description: 'simulated cloud: share of spot launches refused for capacity',
    default: '0',
    allowed: '0..1',
  },
  {
    key: 'simSpotInterruptionRate',
    env: ['RUNS_FLEET_SIM_SPOT_INTERRUPTION_RATE'],
    description: 'simulated cloud: share of spot machines interrupted while they run',
    default: '0',
    allowed: '0..1',
  },
  {
    key: 'simSeed',
    env: ['RUNS_FLEET_SIM_SEED'],
    description: "seed of the simulation's randomness (same seed, same faults)",
    default: '1',
    allowed: 'an integer',
  },
] as const satisfies ReadonlyArray<Setting>;

export type SettingKey = (typeof SETTINGS)[number]['key'];
