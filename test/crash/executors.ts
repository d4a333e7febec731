import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../../domain/commands/commands.js';
import type { CommandExecutor } from '../../domain/ports/command-bus.js';
import type { ComputePort } from '../../domain/ports/compute.js';
import { jobStreamId, machineStreamId } from '../../domain/shared/ids.js';
import type { EventStore } from '../../domain/store/event-store.js';
import { decideAndAppend } from '../../handlers/app/decide-and-append.js';
import { machineDecider } from '../../handlers/app/deciders.js';
import { executeJobCommand } from '../../handlers/app/executors/job-executor.js';
import { executeLaunch } from '../../handlers/app/executors/launch-executor.js';
import { executeTerminate } from '../../handlers/app/executors/terminate-executor.js';

/**
 * The executors the crash child runs: the real launch, terminate and job executors from handlers/app/executors, plus
 * the two GitHub-side outcomes test/world records directly (a prepared runner config, a rerun request), each
 * idempotent by commandId like the real ones will be. A lost append race throws, so the bus retries it.
 */
const metadataOf = (command: Command, at: () => string) => ({
  at: at(),
  commandId: command.commandId,
  causationId: command.commandId,
});

const prepareConfig =
  (store: EventStore, at: () => string): CommandExecutor =>
  async (c) => {
    if (c.type !== 'PrepareRunnerConfig') return;
    const data = { runnerName: c.data.runnerName, configRef: `file:${c.data.machineId}`, command: c };
    await decideAndAppend(
      store,
      machineDecider<null>((_, state) => (state.configPrepared ? [] : [{ type: 'RunnerConfigPrepared', data }])),
      machineStreamId(c.data.machineId),
      null,
      metadataOf(c, at),
    );
  };

const rerun =
  (store: EventStore, at: () => string): CommandExecutor =>
  async (c) => {
    if (c.type !== 'RerunJob') return;
    const streamId = jobStreamId(c.data.jobId);
    const events = await store.read(streamId);
    if (events.some((e) => e.metadata.commandId === c.commandId)) return;
    const appended = await store.append(
      streamId,
      [{ type: 'JobRerunRequested', data: { commandId: c.commandId }, metadata: metadataOf(c, at) }],
      events.length,
    );
    if (E.isLeft(appended)) throw new Error(`${streamId} moved on; retry ${c.commandId}`);
  };

export const crashExecutors = (
  store: EventStore,
  compute: ComputePort,
  at: () => string,
): Partial<Record<Command['type'], CommandExecutor>> => ({
  LaunchMachine: async (c) => void (c.type === 'LaunchMachine' && (await executeLaunch(store, compute, c, at))),
  CreateRunnerPod: async (c) => void (c.type === 'CreateRunnerPod' && (await executeLaunch(store, compute, c, at))),
  TerminateMachines: async (c) =>
    void (c.type === 'TerminateMachines' && (await executeTerminate(store, compute, c, at))),
  AssignRunner: async (c) => void (c.type === 'AssignRunner' && (await executeJobCommand(store, c, at))),
  RequeueJob: async (c) => void (c.type === 'RequeueJob' && (await executeJobCommand(store, c, at))),
  FailJob: async (c) => void (c.type === 'FailJob' && (await executeJobCommand(store, c, at))),
  PrepareRunnerConfig: prepareConfig(store, at),
  RerunJob: rerun(store, at),
});
