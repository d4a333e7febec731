import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOUD } from '../../soak/options.js';
import { runSmallSoak, smallSoak } from './soak-run.js';

/**
 * The soak can fail (issue 7, acceptance 3): the same soak, with orchestrators composed WITHOUT the launch
 * executor's commandId lookup (test/soak/no-lookup-orchestrator.ts, wired through the fault-injection port; no switch
 * in production code), every life of an orchestrator killed right after a launch returned and before its outcome was
 * recorded, machines that boot slower than an orchestrator restarts. The simulated cloud, like the emulators, ignores ClientToken: on restart `resume` launches again, and the
 * cloud's own launch log shows two machines for one job attempt.
 */
const BROKEN_ENTRY = join(import.meta.dirname, 'no-lookup-orchestrator.ts');

describe('[dynamodb-local] [http] fault-injection soak against a deliberately broken composition', () => {
  it('reports DUPLICATE > 0 when the launch executor does not look the commandId up', async () => {
    const { result, report } = await runSmallSoak(
      smallSoak(5, BROKEN_ENTRY, {
        jobs: 16,
        kills: 4,
        killPoints: { kinds: ['launch'], armedShare: 1 },
        // Machines boot slower than an orchestrator restarts (as EC2 instances do): until a machine reports running,
        // only its MachineRequested claim is recorded, and the restarted orchestrator's `resume` retries its launch.
        cloud: { ...DEFAULT_CLOUD, bootDelayMs: 25_000, capacityErrorRate: 0, throttleRate: 0 },
      }),
    );

    expect(result.verdict.duplicates, report.join('\n')).toBeGreaterThan(0);
    expect(report.at(-1)).toMatch(/^SOAK LOST=\d+ DUPLICATE=[1-9]\d* ORPHAN=\d+ JOBS=\d+$/);
    expect(result.eventLog).not.toBeNull();
  }, 240_000);
});
