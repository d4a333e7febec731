import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { collectRaw, loadConfig } from '../../handlers/serve/config.js';

/** `serve --compute ec2` settings (handlers/serve/settings.ts): decoded, defaulted, and refused with the reason. */
const APP = { RUNS_FLEET_GITHUB_APP_ID: '7', RUNS_FLEET_GITHUB_APP_PRIVATE_KEY: 'a-key-stand-in' };
const load = (env: Record<string, string>) => loadConfig(collectRaw(env, {}));
const problems = (env: Record<string, string>) => {
  const result = load(env);
  return E.isLeft(result) ? result.left.map((p) => `${p.setting}: ${p.message}`) : [];
};

describe('serve --compute ec2 configuration', () => {
  it('decodes the EC2 settings and defaults the launch template and the SSM path', () => {
    const config = load({
      ...APP,
      RUNS_FLEET_COMPUTE: 'ec2',
      AWS_REGION: 'eu-west-1',
      RUNS_FLEET_SUBNET_IDS: 'subnet-0a1, subnet-0b2',
      RUNS_FLEET_EVENTS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ec2-events',
      RUNS_FLEET_TAGS: '{"Application":"runs-fleet","Team":"ci"}',
    });

    expect(E.isRight(config) && config.right).toMatchObject({
      compute: 'ec2',
      ec2: {
        region: 'eu-west-1',
        endpoint: null,
        subnetIds: ['subnet-0a1', 'subnet-0b2'],
        launchTemplateName: 'runs-fleet-runner',
        eventsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ec2-events',
        tags: { Application: 'runs-fleet', Team: 'ci' },
        runnerConfigPrefix: '/runs-fleet/runners',
      },
    });
  });

  it('refuses ec2 without a GitHub App or subnets, and names bad values', () => {
    expect(problems({ RUNS_FLEET_COMPUTE: 'ec2' })).toEqual([
      expect.stringMatching(/^--compute \/ RUNS_FLEET_COMPUTE: ec2 needs a GitHub App/),
      expect.stringMatching(/^RUNS_FLEET_SUBNET_IDS: is required with --compute ec2; allowed: subnet ids/),
    ]);
    expect(
      problems({
        ...APP,
        RUNS_FLEET_COMPUTE: 'ec2',
        RUNS_FLEET_SUBNET_IDS: 'subnet-1,sg-2',
        RUNS_FLEET_TAGS: '["not","an","object"]',
        RUNS_FLEET_SECRETS_PATH_PREFIX: 'no-leading-slash',
        RUNS_FLEET_AWS_ENDPOINT: 'ftp://moto',
      }),
    ).toEqual([
      expect.stringMatching(/^RUNS_FLEET_AWS_ENDPOINT: "ftp:\/\/moto" is not an http\(s\) URL/),
      expect.stringMatching(/^RUNS_FLEET_SUBNET_IDS: "subnet-1,sg-2" names something that is not a subnet id/),
      expect.stringMatching(/^RUNS_FLEET_TAGS: is not a JSON object; allowed: a JSON object of strings/),
      expect.stringMatching(/^RUNS_FLEET_SECRETS_PATH_PREFIX: "no-leading-slash" is not an SSM parameter path/),
    ]);
  });

  it('a real GitHub App with ec2 needs no allow-simulation flag', () => {
    expect(problems({ ...APP, RUNS_FLEET_COMPUTE: 'ec2', RUNS_FLEET_SUBNET_IDS: 'subnet-1' })).toEqual([]);
    expect(problems({ ...APP })).toEqual([expect.stringMatching(/^--allow-sim-with-real-github/)]);
  });
});
