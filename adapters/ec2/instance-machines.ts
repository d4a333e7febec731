import { paginateDescribeInstances, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { TAG_MACHINE_ID, TAG_MANAGED } from './fleet-request.js';

/**
 * Instance id → our machine id, read from the instance's tags (DescribeInstances), for lifecycle events that name only
 * the instance (EventBridge). A machine id never changes for an instance, so answers are kept (up to `maxEntries`);
 * an instance that is not ours is remembered for `negativeTtlMs` on the injected clock (other workloads of the account
 * keep sending events); an instance EC2 does not describe (just launched and not yet visible, or long gone) is not
 * remembered at all, so the caller can ask again.
 */
export interface InstanceMachinesOptions {
  readonly client: EC2Client;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly negativeTtlMs?: number;
  readonly maxEntries?: number;
}

/** For each instance id asked about and described: its machine id, or null when it is not ours. */
export type InstanceMachines = (instanceIds: ReadonlyArray<string>) => Promise<ReadonlyMap<string, string | null>>;

const FILTER_VALUES_MAX = 200;

/** Our machine id from an instance's tags: only an instance carrying the managed tag is ours. */
const machineIdOf = (instance: Instance): string | null => {
  const tags = new Map((instance.Tags ?? []).map((t) => [t.Key, t.Value]));

  return tags.get(TAG_MANAGED) === 'true' ? (tags.get(TAG_MACHINE_ID) ?? null) : null;
};

/** The instances EC2 describes among `ids` (a filter, not InstanceIds: an unknown id is left out, not an error). */
const describeAll = async (client: EC2Client, ids: ReadonlyArray<string>): Promise<Instance[]> => {
  const found: Instance[] = [];
  for (let i = 0; i < ids.length; i += FILTER_VALUES_MAX) {
    const filter = { Name: 'instance-id', Values: ids.slice(i, i + FILTER_VALUES_MAX) };
    for await (const page of paginateDescribeInstances({ client }, { Filters: [filter] }))
      found.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
  }

  return found;
};

export const createInstanceMachines = (options: InstanceMachinesOptions): InstanceMachines => {
  const negativeTtlMs = options.negativeTtlMs ?? 5 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const ours = new Map<string, string>();
  const foreignUntil = new Map<string, number>();

  const remember = (instanceId: string, machineId: string | null, now: number): void => {
    if (machineId === null) {
      foreignUntil.set(instanceId, now + negativeTtlMs);
      return;
    }
    ours.set(instanceId, machineId);
    // Oldest first out: a Map iterates in insertion order.
    if (ours.size > maxEntries) ours.delete(ours.keys().next().value as string);
  };

  const known = (instanceId: string, now: number): string | null | undefined => {
    const machineId = ours.get(instanceId);
    if (machineId !== undefined) return machineId;

    return (foreignUntil.get(instanceId) ?? 0) > now ? null : undefined;
  };

  return async (instanceIds) => {
    const now = options.now();
    for (const [id, until] of foreignUntil) if (until <= now) foreignUntil.delete(id);
    const answer = new Map<string, string | null>();
    const unknown: string[] = [];
    for (const id of new Set(instanceIds)) {
      const machineId = known(id, now);
      if (machineId === undefined) unknown.push(id);
      else answer.set(id, machineId);
    }
    for (const instance of unknown.length === 0 ? [] : await describeAll(options.client, unknown)) {
      if (instance.InstanceId === undefined) continue;
      const machineId = machineIdOf(instance);
      answer.set(instance.InstanceId, machineId);
      remember(instance.InstanceId, machineId, now);
    }

    return answer;
  };
};
