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
    key: 'httpRequestTimeoutMs',
    env: ['RUNS_FLEET_HTTP_REQUEST_TIMEOUT_MS'],
    description:
      'how long a caller may take to send a whole request (headers and body); a slower one is answered 408 and cut off, so trickled bodies cannot hold sockets (GitHub itself gives up on a delivery after 10 s)',
    default: '15000',
    allowed: '100..300000',
  },
  {
    key: 'compute',
    env: ['RUNS_FLEET_COMPUTE'],
    flag: '--compute <kind>',
    description:
      'where machines come from: the simulated cloud in this process, a shared `runs-fleet sim-cloud`, AWS EC2 (spot fleets, runner configs in SSM, interruptions from an EventBridge queue), Kubernetes runner pods (docs/kubernetes.md), or both (each job by its backend= label or RUNS_FLEET_DEFAULT_BACKEND; an unschedulable pod falls back to EC2); all but the simulation need a GitHub App',
    default: 'sim',
    allowed: 'sim | sim-remote | ec2 | k8s | ec2+k8s',
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
    key: 'awsRegion',
    env: ['RUNS_FLEET_AWS_REGION', 'AWS_REGION'],
    description: 'with --compute ec2: the region of the instances, runner configs and events queue',
    default: "the AWS SDK's (AWS_REGION, the profile)",
    allowed: 'an AWS region name, e.g. eu-west-1',
  },
  {
    key: 'awsEndpoint',
    env: ['RUNS_FLEET_AWS_ENDPOINT'],
    description:
      "with --compute ec2: one endpoint for the EC2 and SSM APIs instead of AWS (an emulator such as moto); an events queue URL that is not AWS's is its own endpoint",
    default: '(AWS)',
    allowed: 'an http(s) URL',
  },
  {
    key: 'subnetIds',
    env: ['RUNS_FLEET_SUBNET_IDS'],
    description:
      'with --compute ec2: the subnets instances launch in, collapsed to one per availability zone at start (a spot fleet spreads over zones)',
    default: '(none: required with --compute ec2)',
    allowed: 'subnet ids, comma-separated',
  },
  {
    key: 'launchTemplateName',
    env: ['RUNS_FLEET_LAUNCH_TEMPLATE_NAME'],
    description:
      'with --compute ec2: the launch templates `<name>-arm64` and `<name>-amd64` (image, security group, instance profile, IMDSv2), used at $Latest',
    default: 'runs-fleet-runner',
    allowed: 'a launch template name prefix',
  },
  {
    key: 'eventsQueueUrl',
    env: ['RUNS_FLEET_EVENTS_QUEUE_URL'],
    description:
      'with --compute ec2: the SQS queue an EventBridge rule fills with EC2 spot interruption warnings and instance state changes; without it interruptions are not seen until a machine is found gone',
    default: '(none)',
    allowed: 'an SQS queue URL',
  },
  {
    key: 'k8sRunnerImage',
    env: ['RUNS_FLEET_K8S_RUNNER_IMAGE'],
    description: 'with --compute k8s or ec2+k8s: the runner container image of every runner pod',
    default: '(none: required with k8s)',
    allowed: 'an image reference',
  },
  {
    key: 'k8sNamespace',
    env: ['RUNS_FLEET_K8S_NAMESPACE'],
    description: 'with k8s: the namespace of runner pods and their Secrets',
    default: "the kubeconfig context's namespace (in a pod: its own), else default",
    allowed: 'a namespace name (DNS-1123 label)',
  },
  {
    key: 'k8sPodTemplate',
    env: ['RUNS_FLEET_K8S_POD_TEMPLATE'],
    description:
      'with k8s: the pod template overrides file (service account, priority class, tolerations, sidecars; docs/kubernetes.md)',
    default: '(none)',
    allowed: 'a YAML file path',
  },
  {
    key: 'k8sKubeconfig',
    env: ['RUNS_FLEET_K8S_KUBECONFIG'],
    description: 'with k8s: the kubeconfig to use',
    default: 'KUBECONFIG, ~/.kube/config, then the in-cluster service account',
    allowed: 'a file path',
  },
  {
    key: 'k8sContext',
    env: ['RUNS_FLEET_K8S_CONTEXT'],
    description: 'with k8s: the kubeconfig context',
    default: 'the current context',
    allowed: 'a context name',
  },
  {
    key: 'k8sImagePullPolicy',
    env: ['RUNS_FLEET_K8S_IMAGE_PULL_POLICY'],
    description: 'with k8s: the runner container image pull policy',
    default: "Kubernetes' default",
    allowed: 'Always | IfNotPresent | Never',
  },
  {
    key: 'k8sMemoryPerCpuGiB',
    env: ['RUNS_FLEET_K8S_MEMORY_PER_CPU_GIB'],
    description: 'with k8s: memory asked per vCPU when a label names no ram=',
    default: '4',
    allowed: 'a number of GiB, 0.25..64',
  },
  {
    key: 'k8sUnschedulableSeconds',
    env: ['RUNS_FLEET_K8S_UNSCHEDULABLE_SECONDS'],
    description:
      "with k8s: how long a runner pod may stay unschedulable before its job is moved (to EC2 with ec2+k8s, else failed visibly with the scheduler's reason)",
    default: '300',
    allowed: '10..86400',
  },
  {
    key: 'awsTags',
    env: ['RUNS_FLEET_TAGS'],
    description:
      'with --compute ec2: extra tags on every instance, a JSON object (e.g. {"Application":"runs-fleet","Team":"ci"}); runs-fleet:* tags are ours and win',
    default: '{}',
    allowed: 'a JSON object of strings (keys up to 128 characters, values up to 256)',
  },
  {
    key: 'runnerConfigPrefix',
    env: ['RUNS_FLEET_SECRETS_PATH_PREFIX'],
    description:
      'with --compute ec2: the SSM Parameter Store path under which runner configs wait for their instance (SecureString `<prefix>/<machine id>`, deleted when the machine ends)',
    default: '/runs-fleet/runners',
    allowed: 'an SSM parameter path starting with /',
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
  {
    key: 'housekeeping',
    env: ['RUNS_FLEET_HOUSEKEEPING'],
    description:
      'sweep on timers: unconfirmed runners (2 min), stale jobs checked with GitHub (5 min), orphan instances and members of removed pools (5 min), ghost runner registrations (1 h); docs/operations/housekeeping.md',
    default: 'on',
    allowed: 'on | off',
  },
  {
    key: 'housekeepingOrphanGraceMinutes',
    env: ['RUNS_FLEET_HOUSEKEEPING_ORPHAN_GRACE_MINUTES'],
    description:
      "a machine nothing needs is terminated only after this long without a sign of life (its launch or start, its last recorded event, its jobs' last news)",
    default: '15',
    allowed: '5..1440',
  },
] as const satisfies ReadonlyArray<Setting>;

export type SettingKey = (typeof SETTINGS)[number]['key'];
