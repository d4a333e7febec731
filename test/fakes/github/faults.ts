/**
 * Fault injection for the fake GitHub, per route: queued answers served before the real one, in order, each `times`
 * times (default 1). `status: 'drop'` closes the socket without answering (a network error at the client);
 * `delayMs` holds the answer back (a client timeout).
 */
export type FakeGithubRoute =
  | 'get-installation'
  | 'create-token'
  | 'generate-jitconfig'
  | 'get-job'
  | 'rerun-job'
  | 'list-runners'
  | 'delete-runner';

export interface Fault {
  readonly status: number | 'drop';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly times?: number;
  /** Waits this long before answering (or dropping): for client timeouts. */
  readonly delayMs?: number;
}

export class FaultQueue {
  private readonly queues = new Map<FakeGithubRoute, Array<{ fault: Fault; left: number }>>();

  add(route: FakeGithubRoute, faults: ReadonlyArray<Fault>): void {
    const queue = this.queues.get(route) ?? [];
    for (const fault of faults) queue.push({ fault, left: fault.times ?? 1 });
    this.queues.set(route, queue);
  }

  /** The next fault for `route`, consumed; undefined when the real answer is due. */
  take(route: FakeGithubRoute): Fault | undefined {
    const queue = this.queues.get(route);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.left -= 1;
    if (head.left <= 0) queue.shift();

    return head.fault;
  }

  clear(): void {
    this.queues.clear();
  }
}

/** `500 Internal Server Error`, `times` times. */
export const serverError = (times = 1): Fault => ({ status: 500, body: { message: 'Server Error' }, times });

export const tooManyRequests = (retryAfterSeconds: number, times = 1): Fault => ({
  status: 429,
  headers: { 'retry-after': String(retryAfterSeconds) },
  body: { message: 'You have exceeded a secondary rate limit.' },
  times,
});

/** A primary rate limit: `X-RateLimit-Remaining: 0` and the reset time (epoch seconds). */
export const rateLimited = (resetEpochSeconds: number, times = 1): Fault => ({
  status: 403,
  headers: {
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(resetEpochSeconds),
  },
  body: { message: 'API rate limit exceeded for installation.' },
  times,
});

/** A 403 that is not a rate limit: a refusal, never retried. */
export const forbidden = (times = 1): Fault => ({
  status: 403,
  body: { message: 'Resource not accessible by integration' },
  times,
});

export const dropConnection = (times = 1): Fault => ({ status: 'drop', times });
