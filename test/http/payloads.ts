import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };

/**
 * Real `workflow_job` payloads from @octokit/webhooks-examples, with their labels rewritten to runs-fleet labels
 * (the examples ask for GitHub-hosted or foreign self-hosted runners).
 */
type Example = { action: string; workflow_job: Record<string, unknown> & { labels: string[] } } & Record<
  string,
  unknown
>;

const all =
  (examples as Array<{ name: string; examples: Example[] }>).find((e) => e.name === 'workflow_job')?.examples ?? [];

export const examplePayload = (
  action: 'queued' | 'in_progress' | 'completed',
  overrides: Record<string, unknown> = {},
): Example => {
  const found =
    all.find((e) => e.action === action && 'run_attempt' in e.workflow_job) ?? all.find((e) => e.action === action);
  if (found === undefined) throw new Error(`no ${action} example`);
  const copy = structuredClone(found);

  return {
    ...copy,
    workflow_job: { ...copy.workflow_job, labels: ['runs-fleet=940463255/cpu=4/arch=arm64'], ...overrides },
  } as Example;
};
