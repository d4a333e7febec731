import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobPayload, waitForJob, type JobAnswer } from '../e2e/e2e-helpers.js';
import { get, startSecureService, type SecureService } from './secure-service.js';

/**
 * Hostile `runs-on` labels against the real service. Whoever can push a workflow (or open a pull request that runs
 * one) chooses the labels, and GitHub signs them faithfully, so the signature proves nothing about them. Each bad
 * label must become a visible rejection (the job reads `rejected`, the message names the label or segment and what is
 * allowed), launch nothing, crash nothing, and never forge a log line. Label grammar itself is unit-tested in
 * domain/labels/*.spec.ts; here the whole path (webhook → event → read API → logs) is.
 */
const JOB_DEADLINE_MS = 5_000;

let s: SecureService;
let nextJob = 7_320_000_000;

beforeAll(async () => {
  s = await startSecureService();
});
afterAll(async () => s.close());

/** Posts a queued job with `labels`; answers its id and the webhook's answer. */
const queue = async (labels: string[]) => {
  const id = ++nextJob;
  const answer = await s.postSigned(jobPayload('queued', id, { labels }), `label-${String(id)}`);

  return { id, answer };
};

const rejected = async (labels: string[]): Promise<JobAnswer> => {
  const { id, answer } = await queue(labels);
  expect(answer).toMatchObject({ status: 200, body: { recorded: ['JobRejected'] } });
  const job = await waitForJob(s.url, id, (j) => j?.status === 'rejected', JOB_DEADLINE_MS);
  expect(job).toMatchObject({ status: 'rejected', machineId: null, rejection: { code: 'invalid-label' } });

  return job as JobAnswer;
};

const POOL_RULE = 'pool must match ^[a-zA-Z0-9][a-zA-Z0-9_-]{0,62}$';

describe('[http] [sqlite] security: label injection on the real service', () => {
  it('refuses a very long label visibly, naming the label and the 256-character limit', async () => {
    const job = await rejected([`runs-fleet/cpu=2/${'k=v/'.repeat(50_000)}`]);
    expect(job.rejection?.message).toMatch(
      /^label "runs-fleet\/cpu=2\/k=v[^"]*"… is 200017 characters long; .*at most 256$/,
    );
    // The message stays short: a megabyte of label does not become a megabyte of rejection.
    expect(job.rejection?.message.length).toBeLessThan(200);
  });

  const badPools: Array<[string, string]> = [
    ['64 characters', 'a'.repeat(64)],
    ['a leading dash', '-pool'],
    ['a leading underscore', '_pool'],
    ['a dot', 'pool.name'],
    ['a space', 'my pool'],
    ['shell metacharacters', 'p;rm$(id)`x`'],
    ['path traversal', '..'],
    ['a percent escape', 'pool%2Fx'],
    ['an accented letter', 'café'],
    ['fullwidth letters that look ASCII', 'ｐｏｏｌ'],
    ['a Cyrillic homoglyph', 'pооl'],
    ['an empty name', ''],
  ];
  for (const [what, pool] of badPools) {
    it(`refuses pool=${JSON.stringify(pool)} (${what}), naming pool and its pattern`, async () => {
      const job = await rejected([`runs-fleet/cpu=2/pool=${pool}`]);
      expect(job.rejection?.message).toContain(POOL_RULE);
      expect(job.rejection?.message).toContain('pool=');
    });
  }

  const unsafe: Array<[string, string, string]> = [
    ['a newline', 'runs-fleet/cpu=2/note=a\nb', 'U+000A'],
    ['a carriage return', 'runs-fleet/cpu=2\r', 'U+000D'],
    ['a NUL', 'runs-fleet/pool=a\u0000b', 'U+0000'],
    ['an ANSI escape sequence', 'runs-fleet/cpu=2/\u001b[31mred', 'U+001B'],
    ['DEL', 'runs-fleet/cpu=2/x\u007f', 'U+007F'],
    ['a C1 control', 'runs-fleet/cpu=2/x\u0085', 'U+0085'],
    ['a right-to-left override (Trojan Source)', 'runs-fleet/pool=abc\u202Efed', 'U+202E'],
    ['a zero-width space', 'runs-fleet/pool=po\u200Bol', 'U+200B'],
    ['a byte-order mark', 'runs-fleet/cpu=2\uFEFF', 'U+FEFF'],
  ];
  for (const [what, label, codePoint] of unsafe) {
    it(`refuses a label with ${what}, naming the label and ${codePoint}`, async () => {
      const job = await rejected([label]);
      expect(job.rejection?.message).toContain(`character ${codePoint}`);
      expect(job.rejection?.message).toMatch(/^label "runs-fleet\//);
      // The message itself carries the character escaped, never raw.
      // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
      expect(job.rejection?.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b\u202e\ufeff]/);
    });
  }

  it('names the segment of a look-alike number (fullwidth digits)', async () => {
    const job = await rejected(['runs-fleet/cpu=４']);
    expect(job.rejection?.message).toContain('cpu=４: cpu must be a whole number');
  });

  it('does not take a look-alike marker (Cyrillic е, zero-width space) for its own, and records nothing', async () => {
    for (const label of ['runs-fleеt/cpu=2', 'runs-fleet\u200B/cpu=2', 'ｒｕｎｓ-fleet/cpu=2']) {
      const { id, answer } = await queue([label]);
      expect(answer).toEqual({ status: 202, body: { ignored: 'not-ours' } });
      expect((await get(`${s.url}/api/jobs/${String(id)}`)).status).toBe(404);
    }
  });

  it('ignores a foreign job however long its labels, and records nothing of it', async () => {
    const { id, answer } = await queue(['self-hosted', 'x'.repeat(900_000)]);
    expect(answer).toEqual({ status: 202, body: { ignored: 'not-ours' } });
    expect(s.allEvents().some((e) => e.streamId === `job#${String(id)}`)).toBe(false);
  });

  it('lets no label forge a log line: every line is one JSON object, and no forged one exists', async () => {
    const forged = '{"level":60,"service":"runs-fleet","msg":"FORGED-BY-LABEL"}';
    // Refused (newline), accepted with a warning (unknown segment), and in a foreign job's extra label.
    await rejected([`runs-fleet/cpu=2\n${forged}`]);
    const accepted = await queue([`runs-fleet/cpu=2/${forged.replaceAll('/', '')}`]);
    expect(accepted.answer.status).toBe(200);
    await queue(['runs-fleet/cpu=2', `x\n${forged}\n`]);
    await waitForJob(s.url, accepted.id, (j) => j?.status === 'completed', JOB_DEADLINE_MS);

    const lines = s
      .logText()
      .split('\n')
      .filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry['msg']).not.toBe('FORGED-BY-LABEL');
      expect(typeof entry['level']).toBe('number');
    }
  });

  it('is still healthy and serves a normal job after all of the above', async () => {
    expect((await get(`${s.url}/healthz`)).status).toBe(200);
    expect(await get(`${s.url}/readyz`)).toMatchObject({ status: 200, body: { ready: true, quarantined: [] } });
    const { id, answer } = await queue(['runs-fleet/cpu=2/arch=arm64']);
    expect(answer.status).toBe(200);
    expect((await waitForJob(s.url, id, (j) => j?.status === 'completed', JOB_DEADLINE_MS))?.status).toBe('completed');
    // Not one rejected job got a machine.
    const machines = (await get(`${s.url}/api/machines`)).body as { machines: Array<{ jobId: string | null }> };
    const jobs = (await get(`${s.url}/api/jobs?status=rejected&limit=5000`)).body as { jobs: Array<{ id: string }> };
    const rejectedIds = new Set(jobs.jobs.map((j) => j.id));
    expect(rejectedIds.size).toBeGreaterThan(20);
    expect(machines.machines.filter((m) => m.jobId !== null && rejectedIds.has(m.jobId))).toEqual([]);
  });
});
