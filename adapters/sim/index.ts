/**
 * THE SIMULATION (DESIGN section 6): a simulated cloud whose machines run a simulated agent, a simulated GitHub that
 * dispatches jobs by labels and posts signed webhooks back, and the same cloud as its own process over HTTP. Nothing
 * here starts a real machine or talks to github.com; every log line carries `sim: true`.
 */
export { createSimCloud, COMMAND_ID_TAG, MACHINE_ID_TAG } from './sim-cloud.js';
export type { SimCloud, SimCloudOptions, SimMachineSnapshot, SimMachineState } from './sim-cloud.js';
export { createSimGithub, labelsMatch } from './sim-github.js';
export type {
  EnqueueInput,
  ObserveOutcome,
  RegisterOutcome,
  SimGithub,
  SimGithubOptions,
  SimGithubRunnerSide,
  SimJob,
  SimJobStatus,
  SimRunner,
} from './sim-github.js';
export { startSimAgent } from './sim-agent.js';
export type { SimAgent, SimAgentExit, SimAgentOptions, SimAgentTiming } from './sim-agent.js';
export { createSimParameterStore } from './sim-parameter-store.js';
export { randomInt, seededRandom, type Random } from './random.js';
export type { SimLogger } from './sim-log.js';
export { createSimCloudServer } from './http/sim-cloud-server.js';
export type { SimCloudServer, SimCloudServerOptions } from './http/sim-cloud-server.js';
export {
  createSimCloudClient,
  createSimGithubClient,
  createSimParameterStoreClient,
  SimCloudHttpError,
} from './http/sim-cloud-client.js';
export type { SimCloudClient, SimGithubClient } from './http/sim-cloud-client.js';
