import { DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';

/**
 * SPEC section 3: the configured subnets collapsed to one per availability zone (the first named wins), so a fleet's
 * overrides spread over zones instead of repeating one zone; on a failure to describe them, the list as configured.
 * Done once at start-up (subnets do not move between zones).
 */
export const collapseSubnetsPerZone = async (
  client: EC2Client,
  subnetIds: ReadonlyArray<string>,
  onError: (error: unknown) => void = () => undefined,
): Promise<ReadonlyArray<string>> => {
  if (subnetIds.length <= 1) return subnetIds;
  try {
    const out = await client.send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds] }));
    const zoneOf = new Map((out.Subnets ?? []).map((s) => [s.SubnetId, s.AvailabilityZone]));
    const seen = new Set<string>();

    return subnetIds.filter((id) => {
      const zone = zoneOf.get(id) ?? `unknown:${id}`;
      if (seen.has(zone)) return false;
      seen.add(zone);
      return true;
    });
  } catch (error) {
    onError(error);
    return subnetIds;
  }
};
