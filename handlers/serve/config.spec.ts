import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectRaw, loadConfig } from './config.js';
import { SETTINGS } from './settings.js';

const load = (env: Record<string, string>, flags = {}) => loadConfig(collectRaw(env, flags));
const problems = (env: Record<string, string>) => {
  const result = load(env);

  return E.isLeft(result) ? result.left : [];
};

describe('serve configuration', () => {
  it('defaults to the embedded store, the simulated cloud and port 8080', () => {
    const config = load({});
    expect(E.isRight(config) && config.right).toMatchObject({
      port: 8080,
      store: { kind: 'sqlite', path: './.runs-fleet/events.db' },
      compute: 'sim',
      bus: 'inprocess',
      createTables: false,
      shardLeaseMs: 30_000,
      github: null,
    });
  });

  it('decodes the multi-replica selection: DynamoDB store, SQS bus, a shared sim-cloud', () => {
    const config = load(
      {
        RUNS_FLEET_STORE: 'dynamodb://events?region=eu-west-1&endpoint=http://127.0.0.1:8000',
        RUNS_FLEET_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/commands.fifo',
        RUNS_FLEET_CREATE_TABLES: 'true',
        RUNS_FLEET_SHARD_LEASE_MS: '3000',
      },
      { bus: 'sqs', compute: 'sim-remote', simCloudUrl: 'http://127.0.0.1:7070' },
    );
    expect(E.isRight(config) && config.right).toMatchObject({
      store: { kind: 'dynamodb', table: 'events', region: 'eu-west-1', endpoint: 'http://127.0.0.1:8000' },
      bus: 'sqs',
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/commands.fifo',
      compute: 'sim-remote',
      simCloudUrl: 'http://127.0.0.1:7070',
      createTables: true,
      shardLeaseMs: 3000,
    });
  });

  it('takes a flag over its variable, and the Go name of the webhook secret', () => {
    const config = load(
      { PORT: '9000', RUNS_FLEET_GITHUB_WEBHOOK_SECRET: 'a-secret-of-enough-length' },
      { port: '9100' },
    );
    expect(E.isRight(config) && config.right).toMatchObject({ port: 9100, webhookSecret: 'a-secret-of-enough-length' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT', '0..65535'],
    [{ RUNS_FLEET_COMPUTE: 'aws' }, 'RUNS_FLEET_COMPUTE', 'sim, sim-remote'],
    [{ RUNS_FLEET_DEFAULT_BACKEND: 'nomad' }, 'RUNS_FLEET_DEFAULT_BACKEND', 'ec2, k8s'],
    [{ RUNS_FLEET_STORE: 'postgres://x' }, 'RUNS_FLEET_STORE', 'sqlite:'],
    [{ RUNS_FLEET_SIM_CAPACITY_ERROR_RATE: '2' }, 'RUNS_FLEET_SIM_CAPACITY_ERROR_RATE', '0..1'],
    [{ RUNS_FLEET_LABEL_ALIASES: '{' }, 'RUNS_FLEET_LABEL_ALIASES', 'JSON'],
    [{ RUNS_FLEET_API_TOKEN: 'short' }, 'RUNS_FLEET_API_TOKEN', '16'],
    [{ RUNS_FLEET_GITHUB_APP_ID: '12' }, 'RUNS_FLEET_GITHUB_APP_PRIVATE_KEY', 'both'],
    [{ RUNS_FLEET_BUS: 'kafka' }, 'RUNS_FLEET_BUS', 'inprocess, sqs'],
    [{ RUNS_FLEET_BUS: 'sqs' }, 'RUNS_FLEET_QUEUE_URL', 'required with --bus sqs'],
    [{ RUNS_FLEET_QUEUE_URL: 'commands.fifo' }, 'RUNS_FLEET_QUEUE_URL', 'SQS queue URL'],
    [{ RUNS_FLEET_COMPUTE: 'sim-remote' }, 'RUNS_FLEET_SIM_CLOUD_URL', 'required with --compute sim-remote'],
    [{ RUNS_FLEET_SIM_CLOUD_URL: '127.0.0.1:7070' }, 'RUNS_FLEET_SIM_CLOUD_URL', 'http URL'],
    [{ RUNS_FLEET_CREATE_TABLES: 'yes' }, 'RUNS_FLEET_CREATE_TABLES', 'true, false'],
    [{ RUNS_FLEET_SHARD_LEASE_MS: '10' }, 'RUNS_FLEET_SHARD_LEASE_MS', '1000..600000'],
  ])('names the setting and the allowed values for %j', (env, setting, allowed) => {
    const found = problems(env);
    expect(found).toHaveLength(1);
    expect(found[0]?.setting).toContain(setting);
    expect(found[0]?.message).toContain(allowed);
  });

  it('refuses a real GitHub App with the simulated cloud unless asked explicitly', () => {
    const app = { RUNS_FLEET_GITHUB_APP_ID: '12', RUNS_FLEET_GITHUB_APP_PRIVATE_KEY: 'pem' };
    expect(problems(app)[0]?.message).toContain('never at GitHub');
    expect(E.isRight(load({ ...app, RUNS_FLEET_ALLOW_SIM_WITH_REAL_GITHUB: 'true' }))).toBe(true);
  });

  it('reports every problem at once', () => {
    expect(problems({ PORT: '-1', RUNS_FLEET_LOG_LEVEL: 'loud' })).toHaveLength(2);
  });

  it('is documented: docs/configuration.md names every variable', () => {
    const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const name of SETTINGS.flatMap((s) => s.env)) expect(docs).toContain(name);
  });
});
