import * as t from 'io-ts';

/**
 * The part of GitHub's `workflow_job` payload we use, decoded leniently where GitHub varies: `run_attempt`,
 * `created_at` and `workflow_name` are missing from older deliveries, and `installation` is absent on repository and
 * organization webhooks that are not an App's. Job ids are numbers on the wire and strings here.
 */
const nullable = <C extends t.Mixed>(codec: C) => t.union([codec, t.null]);

const WorkflowJob = t.intersection([
  t.type({
    id: t.number,
    run_id: t.number,
    labels: t.array(t.string),
  }),
  t.partial({
    run_attempt: t.number,
    status: t.string,
    conclusion: nullable(t.string),
    name: nullable(t.string),
    workflow_name: nullable(t.string),
    runner_id: nullable(t.number),
    runner_name: nullable(t.string),
    created_at: nullable(t.string),
    started_at: nullable(t.string),
    completed_at: nullable(t.string),
  }),
]);

export const WorkflowJobPayload = t.intersection([
  t.type({
    action: t.string,
    workflow_job: WorkflowJob,
    repository: t.type({ full_name: t.string }),
  }),
  t.partial({ installation: t.type({ id: t.number }) }),
]);
export type WorkflowJobPayload = t.TypeOf<typeof WorkflowJobPayload>;

export const HANDLED_ACTIONS = ['queued', 'in_progress', 'completed'] as const;
export type HandledAction = (typeof HANDLED_ACTIONS)[number];
export const isHandledAction = (action: string): action is HandledAction =>
  (HANDLED_ACTIONS as ReadonlyArray<string>).includes(action);
