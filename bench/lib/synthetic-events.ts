/**
 * Deterministic synthetic event lines (JSONL, one stored event per line, shaped like DESIGN section 2 items), for
 * benchmarks that need a realistic parse or replay load. The same count always gives the same bytes.
 */

const TYPES = ['JobQueued', 'RunnerRequested', 'MachineRequested', 'MachineLaunched', 'JobStarted', 'JobCompleted'];
const EPOCH_MS = Date.UTC(2025, 0, 1);

const dataFor = (type: string, job: number): Record<string, unknown> => {
  switch (type) {
    case 'JobQueued':
      return {
        githubJobId: 9_000_000 + job,
        runId: 4_000_000 + Math.floor(job / 4),
        repo: `acme/service-${job % 37}`,
        labels: [`runs-fleet=${4_000_000 + Math.floor(job / 4)}/cpu=4/arch=arm64/pool=default`],
        spec: { cpu: 4, ram: null, arch: 'arm64', families: ['c7g', 'm7g'], pool: 'default', backend: 'ec2' },
      };
    case 'MachineLaunched':
      return {
        instanceId: `i-${(0x1000000 + job).toString(16)}`,
        type: 'c7g.xlarge',
        zone: 'eu-west-1b',
        price: 0.0621,
      };
    case 'JobCompleted':
      return { conclusion: job % 10 === 0 ? 'failure' : 'success' };
    default:
      return { machineId: `m${job.toString(36).padStart(8, '0')}` };
  }
};

/** `count` event lines (without trailing newlines), cycling through a job's lifecycle. */
export const syntheticEventLines = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => {
    const job = Math.floor(i / TYPES.length);
    const version = (i % TYPES.length) + 1;
    const type = TYPES[i % TYPES.length] ?? 'JobQueued';
    return JSON.stringify({
      streamId: `job#${9_000_000 + job}`,
      version,
      type,
      data: dataFor(type, job),
      metadata: {
        at: new Date(EPOCH_MS + i * 250).toISOString(),
        causationId: `job#${9_000_000 + job}/${version - 1}`,
        correlationId: `delivery-${job.toString(16).padStart(12, '0')}`,
        ...(version === 1 ? { deliveryId: `0f8c${job.toString(16).padStart(28, '0')}` } : {}),
      },
    });
  });
