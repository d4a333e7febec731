import { EC2Client } from '@aws-sdk/client-ec2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Logger } from 'pino';
import {
  collapseSubnetsPerZone,
  createEc2Compute,
  createInstanceMachines,
  createSpotPriceArchChooser,
} from '../../adapters/ec2/index.js';
import { createEc2EventsPoller, type Ec2EventsPoller } from '../../adapters/ec2-events/index.js';
import { createSsmRunnerConfigStore } from '../../adapters/runner-config-ssm/index.js';
import { createSimCloud } from '../../adapters/sim/index.js';
import type { Observation } from '../../domain/machine/machine-decide.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import { reconcileMachines } from '../app/reconcile-machines.js';
import { regionOfQueueUrl } from './bus-composition.js';
import type { ComputeComposition, ComputeDeps } from './compute-composition.js';
import type { ServeConfig } from './config.js';
import { githubApp } from './github-app.js';
import { createObservationRecorder } from './record-observation.js';

/**
 * `--compute ec2`: machines are EC2 instances (adapters/ec2: spot fleets, warm-pool members, lookup by tag), runner
 * configs wait in SSM Parameter Store (adapters/runner-config-ssm), GitHub is the configured App, and EC2's lifecycle
 * (spot interruption warnings, state changes) comes from the EventBridge queue (adapters/ec2-events) and is recorded
 * like any observation. A machine EC2 reports terminated has its runner config deleted there too; one we terminate
 * has it deleted by the terminate executor.
 */

/** SDK attempts per call: the standard retry strategy backs throttled calls off exponentially (SPEC: retry throttling). */
const MAX_ATTEMPTS = 5;

const awsClientConfig = (settings: ServeConfig['ec2']) => ({
  maxAttempts: MAX_ATTEMPTS,
  ...(settings.region === null ? {} : { region: settings.region }),
  ...(settings.endpoint === null ? {} : { endpoint: settings.endpoint }),
});

/** A queue URL that is not AWS's (an emulator) is also the endpoint, as for the command queue. */
const eventsClient = (queueUrl: string, settings: ServeConfig['ec2']): SQSClient => {
  const region = regionOfQueueUrl(queueUrl);

  return new SQSClient(
    region !== undefined
      ? { region }
      : { endpoint: new URL(queueUrl).origin, region: settings.region ?? process.env['AWS_REGION'] ?? 'us-east-1' },
  );
};

/**
 * The compute port once the subnets are collapsed to one per zone (a DescribeSubnets at start): calls made before
 * wait for it, so start-up does not block on EC2.
 */
const deferred = (ready: Promise<ComputePort>): Required<ComputePort> => ({
  findByCommandId: async (commandId) => (await ready).findByCommandId(commandId),
  launch: async (command) => (await ready).launch(command),
  terminate: async (machineIds, reason) => (await ready).terminate(machineIds, reason),
  start: async (machineIds) => (await ready).start(machineIds),
  stop: async (machineIds) => (await ready).stop(machineIds),
  listManaged: async () => (await ready).listManaged?.() ?? [],
});

/** Records what EC2 reported; a machine that ended loses its runner config (absent is fine). */
export const recorderWithCleanup =
  (record: (machineId: string, observation: Observation) => Promise<void>, configs: RunnerConfigStore) =>
  async (machineId: string, observation: Observation): Promise<void> => {
    await record(machineId, observation);
    if (observation.type === 'MachineTerminated') await configs.delete(machineId);
  };

export const openEc2Compute = (config: ServeConfig, deps: ComputeDeps): ComputeComposition => {
  const { logger } = deps;
  const settings = config.ec2;
  if (config.github === null) throw new Error('--compute ec2 needs a GitHub App (see docs/configuration.md)');
  const ec2 = new EC2Client(awsClientConfig(settings));
  const ssm = new SSMClient(awsClientConfig(settings));
  const launchTemplates = {
    arm64: `${settings.launchTemplateName}-arm64`,
    amd64: `${settings.launchTemplateName}-amd64`,
  };
  const compute = deferred(
    collapseSubnetsPerZone(ec2, settings.subnetIds, (error) =>
      logger.warn({ err: error }, 'describing the subnets failed; using them as configured'),
    ).then((subnets) => {
      logger.info({ subnets, launchTemplates }, 'EC2 compute ready');

      return createEc2Compute({
        client: ec2,
        subnets,
        launchTemplates,
        tags: settings.tags,
        logger,
        chooseArch: createSpotPriceArchChooser({ client: ec2, now: Date.now, logger }),
      });
    }),
  );
  const configs = createSsmRunnerConfigStore({ client: ssm, prefix: settings.runnerConfigPrefix });
  const github = githubApp(config.github, logger);
  const record = createObservationRecorder(deps.store, deps.now);
  const events = openEvents(settings, { ec2, logger, report: recorderWithCleanup(record, configs) });
  // Nothing is simulated here: it only keeps `RunningService.sim` meaningful (and empty).
  const sim = createSimCloud({ report: async () => undefined, seed: 0 });

  return {
    compute,
    github,
    configs,
    sim,
    observe: () => undefined,
    recover: (models) => reconcileMachines(models, compute, record),
    close: () => {
      sim.close();
      // A long poll cut short may hide the messages it was about to receive for the queue's visibility timeout; they
      // come back then (to another replica, or after a restart). The clients go once the poller is done with them.
      void (events?.stop() ?? Promise.resolve()).finally(() => {
        events?.close();
        ec2.destroy();
        ssm.destroy();
      });
    },
  };
};

interface EventsDeps {
  readonly ec2: EC2Client;
  readonly logger: Logger;
  readonly report: (machineId: string, observation: Observation) => Promise<void>;
}

const openEvents = (settings: ServeConfig['ec2'], deps: EventsDeps): (Ec2EventsPoller & { close(): void }) | null => {
  const queueUrl = settings.eventsQueueUrl;
  if (queueUrl === null) {
    deps.logger.warn(
      'no RUNS_FLEET_EVENTS_QUEUE_URL: spot interruptions are not seen until a machine is found gone after a restart',
    );
    return null;
  }
  const sqs = eventsClient(queueUrl, settings);
  const poller = createEc2EventsPoller({
    sqs,
    queueUrl,
    machinesOf: createInstanceMachines({ client: deps.ec2, now: Date.now }),
    report: deps.report,
    logger: deps.logger,
  });
  poller.start();

  return { ...poller, close: () => sqs.destroy() };
};
