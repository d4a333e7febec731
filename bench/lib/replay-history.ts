import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { runnerNameFor } from '../../domain/machine/launch-request.js';
import { INTENT } from '../../domain/process/command-builders.js';
import { commandIdFor } from '../../domain/shared/command-id.js';
import type { RecordedEvent } from '../../domain/store/event-store.js';
import { createWorld } from '../../test/world/world.js';

/**
 * A large, realistic event log for the replay benchmark: one job's whole life recorded by the real in-memory world
 * (queued → launched → registered → started → completed → machine terminated), then cloned with fresh job ids and
 * the machine ids those ids derive, so every clone decodes, projects and decides like a real job.
 */
const TEMPLATE_JOB = '1';

export const recordTemplate = async (): Promise<ReadonlyArray<RecordedEvent>> => {
  const world = createWorld();
  const job = { jobId: TEMPLATE_JOB, labels: ['runs-fleet=777/cpu=4/arch=arm64'] };
  await world.queued(job);
  await world.settle();
  const machineId = world.models.job(TEMPLATE_JOB)?.machineId ?? '';
  const cloudId = world.models.machine(machineId)?.cloudId ?? 'i-0';
  await world.observe(machineId, { type: 'MachineRunning', data: { cloudId } });
  await world.observe(machineId, {
    type: 'RunnerRegistered',
    data: { runnerName: runnerNameFor(machineId), runnerId: 1 },
  });
  await world.started(job, runnerNameFor(machineId));
  await world.completed(job, 'success', runnerNameFor(machineId));
  await world.settle();

  return world.store.readAfter(0, 1000);
};

const rewrite = (value: unknown, swap: (text: string) => string): unknown => {
  if (typeof value === 'string') return swap(value);
  if (Array.isArray(value)) return value.map((item) => rewrite(item, swap));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewrite(item, swap)]));
  }

  return value;
};

/** Writes `count` events (whole jobs, the last one cut short) to `path` as JSONL; returns the first job's id. */
export const writeReplayLog = async (path: string, count: number): Promise<string> => {
  const template = await recordTemplate();
  const oldMachine = template.find((e) => e.type === 'MachineRequested')?.streamId.slice('machine#'.length) ?? '';
  const requestVersion = template.find((e) => e.type === 'RunnerRequested')?.version ?? 2;
  const out = createWriteStream(path);
  let written = 0;
  for (let n = 0; written < count; n += 1) {
    const jobId = String(10_000_000 + n);
    const machineId = commandIdFor({ streamId: `job#${jobId}`, version: requestVersion }, INTENT.launch);
    const swap = (text: string): string =>
      text === TEMPLATE_JOB || text === `job#${TEMPLATE_JOB}`
        ? text.replace(TEMPLATE_JOB, jobId)
        : text.includes(oldMachine)
          ? text.replaceAll(oldMachine, machineId)
          : text;
    for (const event of template) {
      if (written >= count) break;
      const { position: _position, ...line } = rewrite(event, swap) as RecordedEvent;
      if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
      written += 1;
    }
  }
  out.end();
  await once(out, 'finish');

  return '10000000';
};
