import { paginateDescribeInstances, type EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import type { ManagedMachine } from '../../domain/ports/compute.js';
import { TAG_MACHINE_ID, TAG_MANAGED } from './fleet-request.js';

/**
 * `listManaged` for EC2: DescribeInstances filtered on our managed tag AND every extra tag this deployment puts on its
 * instances (RUNS_FLEET_TAGS), so two deployments in one account (or two test suites on one moto) never see each
 * other's instances as orphans. Terminated and shutting-down instances are left out: there is nothing to sweep.
 */
const LISTED_STATES: ReadonlyArray<ManagedMachine['state']> = ['pending', 'running', 'stopping', 'stopped'];

const stateOf = (instance: Instance): ManagedMachine['state'] | null => {
  const name = instance.State?.Name;

  return LISTED_STATES.find((state) => state === name) ?? null;
};

const tagValue = (instance: Instance, key: string): string | null =>
  instance.Tags?.find((tag) => tag.Key === key)?.Value ?? null;

export const managedFilters = (extraTags: Readonly<Record<string, string>> = {}): Filter[] => [
  { Name: `tag:${TAG_MANAGED}`, Values: ['true'] },
  ...Object.entries(extraTags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
  { Name: 'instance-state-name', Values: [...LISTED_STATES] },
];

export const listManagedInstances = async (
  client: EC2Client,
  extraTags: Readonly<Record<string, string>> = {},
): Promise<ReadonlyArray<ManagedMachine>> => {
  const found: ManagedMachine[] = [];
  for await (const page of paginateDescribeInstances({ client }, { Filters: managedFilters(extraTags) })) {
    for (const instance of (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
      const state = stateOf(instance);
      if (instance.InstanceId === undefined || state === null) continue;
      found.push({
        machineId: tagValue(instance, TAG_MACHINE_ID),
        cloudId: instance.InstanceId,
        state,
        launchedAt: instance.LaunchTime?.toISOString() ?? null,
      });
    }
  }

  return found;
};
