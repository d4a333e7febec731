import * as E from 'fp-ts/lib/Either.js';
import type { Command, PrepareRunnerConfig } from '../../../domain/commands/commands.js';
import type { MachineEvent } from '../../../domain/events/machine-events.js';
import type { MachineState } from '../../../domain/machine/machine-state.js';
import type { CommandExecutor } from '../../../domain/ports/command-bus.js';
import { githubFailureOf, type GithubFailure, type GithubPort, type JitConfig } from '../../../domain/ports/github.js';
import type { RunnerConfigStore } from '../../../domain/ports/runner-config-store.js';
import { machineStreamId } from '../../../domain/shared/ids.js';
import type { EventStore } from '../../../domain/store/event-store.js';
import { decideAndAppend, foldStream, type Known } from '../decide-and-append.js';
import { machineDecider } from '../deciders.js';

/**
 * Carries out PrepareRunnerConfig (DESIGN sections 1 and 3) without a claim: a JIT config is one-shot, and the
 * deterministic runner name plus the adapter's recovery on 409 make asking again safe. (1) A machine whose stream
 * already records a prepared config (this command's, or any: one config per machine) or its termination is left
 * alone; (2) GitHub generates the JIT config for the runner name and the exact label; (3) the config goes to the
 * runner-config store; (4) `RunnerConfigPrepared` records the store's reference, once (a concurrent duplicate finds it
 * and appends nothing). The JIT config itself never reaches an event, a result or an error.
 */
export interface PrepareRunnerConfigDeps {
  readonly store: EventStore;
  readonly github: GithubPort;
  readonly configs: RunnerConfigStore;
  readonly at: () => string;
}

export type PrepareRunnerConfigResult =
  | { readonly kind: 'prepared'; readonly configRef: string }
  | { readonly kind: 'already-prepared' }
  | { readonly kind: 'skipped'; readonly reason: 'machine-terminated' | 'no-repo' }
  /** GitHub refused for good (App not installed, no permission, invalid label): nothing recorded. */
  | { readonly kind: 'refused'; readonly failure: GithubFailure };

type RunnerConfigPrepared = Extract<MachineEvent, { type: 'RunnerConfigPrepared' }>;

/** Records the outcome unless the stream already has a config or the machine is gone. */
const recordOnce = (event: RunnerConfigPrepared) =>
  machineDecider<PrepareRunnerConfig>((_, state) =>
    state.configPrepared || state.status === 'terminated' ? [] : [event],
  );

const observe = machineDecider<null>(() => []);

const machineState = async (store: EventStore, streamId: string): Promise<Known<MachineState>> =>
  foldStream(observe, streamId, await store.read(streamId));

const alreadyDone = (state: MachineState): PrepareRunnerConfigResult | null => {
  if (state.configPrepared) return { kind: 'already-prepared' };
  if (state.status === 'terminated') return { kind: 'skipped', reason: 'machine-terminated' };

  return null;
};

/** The config, or the refusal; transient errors are thrown (the bus retries). */
const generate = async (
  github: GithubPort,
  command: PrepareRunnerConfig,
  repo: string,
): Promise<E.Either<GithubFailure, JitConfig>> => {
  const { runnerName, label, installationId } = command.data;
  try {
    return E.right(await github.generateJitConfig({ repo, installationId }, runnerName, [label]));
  } catch (error) {
    const failure = githubFailureOf(error);
    if (failure === null) throw error;

    return E.left(failure);
  }
};

export const executePrepareRunnerConfig = async (
  deps: PrepareRunnerConfigDeps,
  command: PrepareRunnerConfig,
): Promise<PrepareRunnerConfigResult> => {
  const { machineId, repo, jobId, label, runnerName } = command.data;
  const streamId = machineStreamId(machineId);
  const known = await machineState(deps.store, streamId);
  const done = alreadyDone(known.state);
  if (done !== null) return done;
  if (repo === null) return { kind: 'skipped', reason: 'no-repo' };

  const jit = await generate(deps.github, command, repo);
  if (E.isLeft(jit)) return { kind: 'refused', failure: jit.left };
  const { encodedJitConfig } = jit.right;
  const configRef = await deps.configs.put({ machineId, runnerName, labels: [label], repo, jobId, encodedJitConfig });

  const event: RunnerConfigPrepared = { type: 'RunnerConfigPrepared', data: { runnerName, configRef, command } };
  const metadata = { at: deps.at(), commandId: command.commandId, causationId: command.commandId };
  const outcome = await decideAndAppend(deps.store, recordOnce(event), streamId, command, metadata, { known });
  if (outcome.kind === 'appended') return { kind: 'prepared', configRef };
  if (outcome.kind === 'conflict-retries-exhausted')
    throw new Error(`${streamId}: could not record RunnerConfigPrepared (${command.commandId}); retry`);
  // Nothing appended: a concurrent duplicate recorded its config first (the store holds one config per machine), or
  // the machine was terminated meanwhile, and then nobody will read this config.
  const latest = outcome.kind === 'unchanged' ? outcome.state : (await machineState(deps.store, streamId)).state;
  const after = alreadyDone(latest) ?? { kind: 'already-prepared' };
  if (after.kind === 'skipped') await deps.configs.delete(machineId);

  return after;
};

/** For the command bus; `report` hears every result (the composition root logs refusals). */
export const prepareRunnerConfigExecutor =
  (
    deps: PrepareRunnerConfigDeps,
    report?: (command: PrepareRunnerConfig, result: PrepareRunnerConfigResult) => void,
  ): CommandExecutor =>
  async (command: Command) => {
    if (command.type !== 'PrepareRunnerConfig') return;
    const result = await executePrepareRunnerConfig(deps, command);
    report?.(command, result);
  };
