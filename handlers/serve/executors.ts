import type { Command, CommandType } from '../../domain/commands/commands.js';
import type { CommandExecutor } from '../../domain/ports/command-bus.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import type { GithubPort } from '../../domain/ports/github.js';
import type { RunnerConfigStore } from '../../domain/ports/runner-config-store.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { deregisterRunnerExecutor } from '../app/executors/deregister-runner-executor.js';
import { executeJobCommand } from '../app/executors/job-executor.js';
import { executeLaunch } from '../app/executors/launch-executor.js';
import { prepareRunnerConfigExecutor } from '../app/executors/prepare-runner-config-executor.js';
import { rerunJobExecutor } from '../app/executors/rerun-job-executor.js';
import { executeTerminate } from '../app/executors/terminate-executor.js';
import { executeClaim } from '../pools/claim-executor.js';
import { executePoolRetire, executePoolStart, isPoolCommand } from '../pools/power-executors.js';

/** Which executor carries out which command: the one table a composition root needs. */
export interface ExecutorDeps {
  readonly store: EventStore;
  readonly compute: ComputePort;
  readonly github: GithubPort;
  readonly configs: RunnerConfigStore;
  readonly at: () => string;
}

export const buildExecutors = (deps: ExecutorDeps): Partial<Record<CommandType, CommandExecutor>> => {
  const { store, compute, at } = deps;
  const launch: CommandExecutor = async (command: Command) => {
    if (command.type === 'LaunchMachine' || command.type === 'CreateRunnerPod')
      await executeLaunch(store, compute, command, at);
  };
  const onJob: CommandExecutor = async (command: Command) => {
    if (command.type === 'AssignRunner' || command.type === 'RequeueJob' || command.type === 'FailJob') {
      const outcome = await executeJobCommand(store, command, at);
      if (outcome.kind === 'conflict-retries-exhausted') throw new Error(`${command.type}: job stream kept changing`);
    }
  };

  return {
    LaunchMachine: launch,
    CreateRunnerPod: launch,
    TerminateMachines: async (command) => {
      if (command.type !== 'TerminateMachines') return;
      // A pool's terminate fences its member first and skips one a job claimed since the decision.
      if (isPoolCommand(command)) await executePoolRetire(store, compute, command, at);
      else await executeTerminate(store, compute, command, at, deps.configs);
    },
    StartMachines: async (command) => {
      if (command.type === 'StartMachines') await executePoolStart(store, compute, command, at);
    },
    StopMachines: async (command) => {
      if (command.type === 'StopMachines') await executePoolRetire(store, compute, command, at);
    },
    ClaimPoolMember: async (command) => {
      if (command.type === 'ClaimPoolMember') await executeClaim(store, command, at);
    },
    AssignRunner: onJob,
    RequeueJob: onJob,
    FailJob: onJob,
    PrepareRunnerConfig: prepareRunnerConfigExecutor({ store, github: deps.github, configs: deps.configs, at }),
    RerunJob: rerunJobExecutor({ store, github: deps.github, at }),
    DeregisterRunner: deregisterRunnerExecutor({ github: deps.github }),
  };
};
