import { describe, expect, it } from 'vitest';
import { createWorld } from '../world/world.js';

describe('in-process pipeline', () => {
  it('takes a queued job to an assigned runner on a launched machine', async () => {
    const world = createWorld();
    await world.queued({ jobId: '101', labels: ['runs-fleet=9000/cpu=4/arch=arm64'] });
    await world.settle();
    const job = world.models.job('101');
    expect(job?.status).toBe('assigned');
    expect(world.compute.launches.size).toBe(1);
    const machine = world.models.machine(job?.machineId ?? '');
    expect(machine?.configPrepared).toBe(true);
    expect(world.dispatched.map((c) => c.type).sort()).toEqual([
      'AssignRunner',
      'LaunchMachine',
      'PrepareRunnerConfig',
    ]);
  });
});
