import type { SimCloudClient, SimGithubClient } from '../adapters/sim/index.js';
import { jobStreamId } from '../domain/shared/ids.js';
import type { EventStore } from '../domain/store/index.js';
import type { SoakOptions } from './options.js';
import type { WebhookRelay } from './webhook-relay.js';

/**
 * After the workload: wait until nothing moves. Quiet means: the relay delivers nothing, every accepted job is done
 * at GitHub (or the service visibly gave it up), and no machine is alive. If the state stops changing for
 * `quietTimeoutMs` first (and the removed pool's members are past their scale-down guards), the run is judged as it
 * stands (what is left then shows as lost or orphan).
 */
const POLL_MS = 2_000;
/** Below this many open jobs, the store is asked whether the service gave them up (a cheap read each). */
const STORE_CHECK_BELOW = 300;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const gaveUp = async (store: EventStore, jobId: string): Promise<boolean> =>
  (await store.read(jobStreamId(jobId))).some((e) => e.type === 'JobFailed' || e.type === 'JobRejected');

export const waitQuiescent = async (inputs: {
  readonly options: SoakOptions;
  readonly github: SimGithubClient;
  readonly cloud: SimCloudClient;
  readonly relay: WebhookRelay;
  readonly store: EventStore;
  readonly log: (line: string) => void;
  /** Not judged as stuck before this (epoch ms): the removed pool's members may still be inside their guards. */
  readonly settleUntil: number;
}): Promise<boolean> => {
  const { github, cloud, relay, store, log } = inputs;
  let lastChange = Date.now();
  let last = '';
  for (;;) {
    const done = new Set((await github.jobs()).filter((job) => job.status === 'completed').map((job) => job.id));
    let open = [...relay.jobs.values()].filter((job) => job.acked.size > 0 && !done.has(job.jobId));
    if (open.length < STORE_CHECK_BELOW) {
      const given = await Promise.all(open.map(async (job) => ((await gaveUp(store, job.jobId)) ? null : job)));
      open = given.flatMap((job) => (job === null ? [] : [job]));
    }
    const alive = (await cloud.machines()).filter((machine) => machine.state !== 'terminated').length;
    const state = `${String(open.length)} open jobs, ${String(alive)} machines alive, ${String(relay.inFlight())} deliveries in flight`;
    if (open.length === 0 && alive === 0 && relay.inFlight() === 0) return true;
    if (state !== last) {
      log(`waiting for quiescence: ${state}`);
      last = state;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > inputs.options.quietTimeoutMs && Date.now() > inputs.settleUntil) {
      log(`no progress for ${String(inputs.options.quietTimeoutMs)} ms: judging as it stands (${state})`);

      return false;
    }
    await sleep(POLL_MS);
  }
};
