import type { ComputePort, ManagedMachine } from '../../domain/ports/compute.js';
import type { RunnerConfig, RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import { machineStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/index.js';

/**
 * `--compute ec2+k8s`: both backends at once, each job on the one its `backend=` label (or the default) names. A
 * launch goes where its command says (LaunchMachine → EC2, CreateRunnerPod → Kubernetes); the calls that only name
 * machine ids (lookup, terminate) ask both, which is safe because both adapters treat an id they do not know as done.
 * Start and stop concern warm-pool members, which are EC2 instances.
 */
export const routeCompute = (ec2: ComputePort, k8s: ComputePort): Required<ComputePort> => ({
  findByCommandId: async (commandId) => (await k8s.findByCommandId(commandId)) ?? ec2.findByCommandId(commandId),
  launch: (command) => (command.type === 'CreateRunnerPod' ? k8s : ec2).launch(command),
  terminate: async (machineIds, reason) => {
    await Promise.all([ec2.terminate(machineIds, reason), k8s.terminate(machineIds, reason)]);
  },
  start: (machineIds) => ec2.start(machineIds),
  stop: (machineIds) => ec2.stop(machineIds),
  listManaged: async () => {
    const lists = await Promise.all([ec2.listManaged?.() ?? [], k8s.listManaged?.() ?? []]);

    return lists.flat() as ReadonlyArray<ManagedMachine>;
  },
});

type BackendOf = (machineId: string) => Promise<'ec2' | 'k8s'>;

/** Which backend a machine was requested on: its claim (`MachineRequested`) names the launch command. */
export const backendOfMachine =
  (store: EventStore): BackendOf =>
  async (machineId) => {
    const [first] = await store.read(machineStreamId(machineId));
    const command = (first?.data as { command?: { type?: string } } | undefined)?.command;

    return command?.type === 'CreateRunnerPod' ? 'k8s' : 'ec2';
  };

/**
 * Runner configs where the machine's agent looks: a Secret beside a runner pod, SSM for an EC2 instance. Deletion
 * asks both (absent is fine), so a config is never left behind by a wrong guess.
 */
export const routeRunnerConfigs = (
  stores: { readonly ec2: RunnerConfigStore; readonly k8s: RunnerConfigStore },
  backendOf: BackendOf,
): RunnerConfigStore => ({
  put: async (config: RunnerConfig) => stores[await backendOf(config.machineId)].put(config),
  get: async (machineId) => stores[await backendOf(machineId)].get(machineId),
  delete: async (machineId) => {
    await Promise.all([stores.ec2.delete(machineId), stores.k8s.delete(machineId)]);
  },
});
