import type { Command } from '../../../domain/commands/commands.js';
import type { CommandExecutor } from '../../../domain/ports/command-bus.js';
import {
  githubFailureOf,
  type GithubFailure,
  type GithubPort,
  type GithubRunner,
} from '../../../domain/ports/github.js';

/**
 * Carries out DeregisterRunner (SPEC lesson 12): finds the runner by name and deletes its registration. Idempotent
 * without an event: a runner already gone (absent from the list, or 404 on delete) is done. A busy runner is left
 * alone (GitHub refuses to delete it anyway; the next housekeeping pass decides again).
 */
type DeregisterRunner = Extract<Command, { type: 'DeregisterRunner' }>;

export interface DeregisterRunnerDeps {
  readonly github: GithubPort;
}

export type DeregisterRunnerResult =
  | { readonly kind: 'deregistered'; readonly runnerId: number }
  | { readonly kind: 'not-registered' }
  | { readonly kind: 'busy'; readonly runnerId: number }
  | { readonly kind: 'refused'; readonly failure: GithubFailure };

const findByName = async (github: GithubPort, repo: string, runnerName: string): Promise<GithubRunner | null> => {
  for await (const runner of github.listRunners({ repo, installationId: null }))
    if (runner.name === runnerName) return runner;

  return null;
};

export const executeDeregisterRunner = async (
  deps: DeregisterRunnerDeps,
  command: DeregisterRunner,
): Promise<DeregisterRunnerResult> => {
  const { repo, runnerName } = command.data;
  try {
    const runner = await findByName(deps.github, repo, runnerName);
    if (runner === null) return { kind: 'not-registered' };
    if (runner.busy) return { kind: 'busy', runnerId: runner.id };
    await deps.github.deleteRunner({ repo, installationId: null }, runner.id);

    return { kind: 'deregistered', runnerId: runner.id };
  } catch (error) {
    const failure = githubFailureOf(error);
    if (failure === null) throw error;

    return { kind: 'refused', failure };
  }
};

export const deregisterRunnerExecutor =
  (
    deps: DeregisterRunnerDeps,
    report?: (command: DeregisterRunner, result: DeregisterRunnerResult) => void,
  ): CommandExecutor =>
  async (command: Command) => {
    if (command.type !== 'DeregisterRunner') return;
    const result = await executeDeregisterRunner(deps, command);
    report?.(command, result);
  };
