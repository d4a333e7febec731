import { Webhooks } from '@octokit/webhooks';
import { demoWorkload, queuedPayload } from './workload.js';

/**
 * `runs-fleet demo`: sends a small workload of signed `queued` webhooks to a running service and prints each job's
 * way through queued → provisioning → assigned → running → completed as it happens. Everything after the `queued`
 * webhooks comes from the service and its simulated machines and GitHub, not from this script.
 */
export interface DemoOptions {
  readonly url: string;
  readonly secret: string;
  readonly timeoutMs: number;
  readonly print: (line: string) => void;
}

interface JobAnswer {
  readonly status: string;
  readonly conclusion: string | null;
  readonly rejection: { readonly message: string } | null;
  readonly requeues: ReadonlyArray<{ readonly reason: string }>;
  readonly machineId: string | null;
}

const TERMINAL = new Set(['completed', 'cancelled', 'rejected', 'failed']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const send = async (url: string, webhooks: Webhooks, payload: unknown, delivery: string): Promise<number> => {
  const body = JSON.stringify(payload);
  const response = await fetch(`${url}/webhook`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'workflow_job',
      'x-github-delivery': delivery,
      'x-hub-signature-256': await webhooks.sign(body),
    },
  });

  return response.status;
};

const describe = (answer: JobAnswer): string => {
  const extra = [
    answer.conclusion !== null && answer.status === 'completed' ? `conclusion ${answer.conclusion}` : '',
    answer.rejection?.message ?? '',
    answer.requeues.length > 0 ? `requeued: ${answer.requeues.map((r) => r.reason).join(', ')}` : '',
  ].filter((part) => part !== '');

  return `${answer.status}${extra.length > 0 ? `  (${extra.join('; ')})` : ''}`;
};

export const runDemo = async (options: DemoOptions): Promise<boolean> => {
  const started = Date.now();
  const runId = String(started);
  const jobs = demoWorkload(runId, started * 10);
  const webhooks = new Webhooks({ secret: options.secret });
  const elapsed = () => `+${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(7);
  options.print(`sending ${jobs.length} queued webhooks for run ${runId} to ${options.url}`);
  for (const job of jobs) {
    const status = await send(
      options.url,
      webhooks,
      queuedPayload(job, runId, 'acme/demo', new Date().toISOString()),
      `demo-${job.id}`,
    );
    options.print(`${elapsed()}  ${job.name.padEnd(12)} queued webhook → HTTP ${status}   ${job.labels.join(' ')}`);
  }
  const last = new Map<string, string>();
  while (Date.now() - started < options.timeoutMs) {
    for (const job of jobs) {
      const response = await fetch(`${options.url}/api/jobs/${job.id}`);
      // A 404 right after the 200: the webhook is recorded, and its projection is a moment behind.
      if (!response.ok) continue;
      const line = describe((await response.json()) as JobAnswer);
      if (last.get(job.id) !== line) {
        last.set(job.id, line);
        options.print(`${elapsed()}  ${job.name.padEnd(12)} ${line}`);
      }
    }
    if ([...last.values()].every((line) => TERMINAL.has(line.split(' ')[0] ?? ''))) break;
    await sleep(250);
  }
  const done = jobs.filter((job) => TERMINAL.has((last.get(job.id) ?? '').split(' ')[0] ?? ''));
  options.print(
    `${done.length}/${jobs.length} jobs finished in ${elapsed().trim()}; see each timeline with GET ${options.url}/api/jobs/<id>`,
  );

  return done.length === jobs.length;
};
