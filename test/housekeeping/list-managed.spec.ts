import { afterEach, describe, expect, it } from 'vitest';
import { createSimCloud } from '../../adapters/sim/index.js';
import { createSimCloudClient } from '../../adapters/sim/http/sim-cloud-client.js';
import { createSimCloudServer, type SimCloudServer } from '../../adapters/sim/http/sim-cloud-server.js';
import { launchCommand } from '../../adapters/sim/testing.js';
import type { ComputePort } from '../../domain/ports/compute.js';

/**
 * `listManaged` of the simulated cloud, in process and over HTTP (a shared `runs-fleet sim-cloud`): the cloud's own
 * view the orphan sweep compares with the read models. Terminated machines are not listed; stopped ones are.
 */
const exercise = async (compute: ComputePort): Promise<void> => {
  const [a, b, c] = [launchCommand(1), launchCommand(2), launchCommand(3)];
  for (const command of [a, b, c]) await compute.launch(command);
  await compute.terminate([b.data.machineId], 'test');
  await compute.stop([c.data.machineId]);
  const listed = await compute.listManaged?.();
  expect(listed?.map((m) => [m.machineId, m.state]).sort()).toEqual(
    [
      [a.data.machineId, 'pending'],
      [c.data.machineId, 'stopped'],
    ].sort(),
  );
  for (const machine of listed ?? []) {
    expect(machine.cloudId).toMatch(/^i-/);
    expect(Number.isNaN(Date.parse(machine.launchedAt ?? ''))).toBe(false);
  }
};

describe('simulated cloud: listManaged', () => {
  it('lists the machines it has not terminated, with their state and launch time', async () => {
    const sim = createSimCloud({ report: async () => undefined, seed: 1, bootDelayMs: 60_000 });
    try {
      await exercise(sim);
    } finally {
      sim.close();
    }
  });
});

describe('[http] sim-cloud client: listManaged', () => {
  let server: SimCloudServer | undefined;
  afterEach(async () => server?.close());

  it('answers the same over HTTP', async () => {
    server = createSimCloudServer({ report: async () => undefined, seed: 1, bootDelayMs: 60_000 });
    await exercise(createSimCloudClient(await server.listen(0)));
  });
});
