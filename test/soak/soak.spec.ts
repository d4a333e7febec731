import { describe, expect, it } from 'vitest';
import { ORCHESTRATOR_ENTRY } from '../../soak/soak.js';
import { runSmallSoak, smallSoak } from './soak-run.js';

/**
 * The fault-injection soak (soak/, issue 7) at a size for the test suite, with a fixed seed: the real service in two
 * orchestrator processes on one DynamoDB Local store, the shared sim-cloud process, webhooks duplicated, delayed and
 * re-ordered, GitHub 429/5xx, failing appends, EC2 capacity errors, throttling and spot interruptions, matrix jobs
 * whose runners take each other's jobs, and orchestrators SIGKILLed (at kill points and from outside) and restarted.
 * Judged against the relay's acknowledged deliveries and the simulated cloud's own launch log.
 */
describe('[dynamodb-local] [http] fault-injection soak, fixed seed', () => {
  it('loses no accepted job, launches no second machine for a job attempt and leaves no machine running', async () => {
    const { result, report } = await runSmallSoak(smallSoak(11, ORCHESTRATOR_ENTRY));

    expect(report.at(-1), report.join('\n')).toBe(
      `SOAK LOST=0 DUPLICATE=0 ORPHAN=0 JOBS=${String(result.verdict.accepted)}`,
    );
    expect(result.verdict.accepted).toBeGreaterThanOrEqual(24);
    expect(result.verdict.served + result.verdict.visiblyFailed).toBe(result.verdict.accepted);
    expect(result.relay.duplicated + result.relay.delayed).toBeGreaterThan(0);
  }, 240_000);
});
