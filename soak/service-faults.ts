import { seededRandom, type Random } from '../adapters/sim/index.js';
import type { GithubPort } from '../domain/ports/github.js';
import type { EventStore } from '../domain/store/index.js';
import type { FaultInjection } from '../handlers/serve/fault-injection.js';
import { killAfterAppend, killAfterLaunch, type KillPoint } from '../test/crash/kill-points.js';
import type { ServiceFaultRates } from './options.js';

/**
 * The faults one orchestrator process suffers, through the composition root's fault-injection port: GitHub answering
 * 429 or 5xx (before acting, or after: the answer was lost), appends failing (before the write, or after it: a
 * timeout once DynamoDB stored the item), and the kill point of this process's life (test/crash/kill-points.ts: right
 * after a launch returned, after an append was acknowledged; `decided` is wired by the caller on `onCommands`).
 * Transient failures are thrown, as the real adapters throw them once their own retries ran out.
 */
export class InjectedFault extends Error {
  constructor(message: string) {
    super(`injected fault: ${message}`);
    this.name = 'InjectedFault';
  }
}

const GITHUB_ANSWERS = ['429 secondary rate limit', '502 bad gateway', '503 service unavailable'] as const;

/** Fails a share of calls: before the call (nothing happened) or after it (it happened; the answer is lost). */
const flaky = (random: Random, rate: number, what: () => string) => {
  const fails = (): boolean => rate > 0 && random() < rate;

  return async <T>(call: () => Promise<T>): Promise<T> => {
    if (fails()) throw new InjectedFault(`${what()} (before)`);
    const result = await call();
    if (fails()) throw new InjectedFault(`${what()} (after; the call took effect)`);

    return result;
  };
};

export const flakyGithub = (github: GithubPort, random: Random, rate: number): GithubPort => {
  const answer = () => `GitHub ${GITHUB_ANSWERS[Math.floor(random() * GITHUB_ANSWERS.length)] ?? '500'}`;
  const call = flaky(random, rate / 2, answer);

  return {
    generateJitConfig: (ref, runnerName, labels) => call(() => github.generateJitConfig(ref, runnerName, labels)),
    getJob: (ref, jobId) => call(() => github.getJob(ref, jobId)),
    rerunJob: (ref, jobId) => call(() => github.rerunJob(ref, jobId)),
    listRunners: (ref) => github.listRunners(ref),
    deleteRunner: (ref, runnerId) => call(() => github.deleteRunner(ref, runnerId)),
  };
};

export const flakyAppends = (store: EventStore, random: Random, rate: number): EventStore => {
  const call = flaky(random, rate / 2, () => 'append timed out');

  return { ...store, append: (...args) => call(() => store.append(...args)) };
};

export const serviceFaults = (seed: number, rates: ServiceFaultRates, kill: KillPoint): FaultInjection => {
  const random = seededRandom(seed);

  return {
    store: (store) => killAfterAppend(flakyAppends(store, random, rates.append), kill),
    compute: (compute) => killAfterLaunch(compute, kill),
    github: (github) => flakyGithub(github, random, rates.github),
  };
};
