import * as t from 'io-ts';

/**
 * Why a job's labels did not produce a JobSpec. `not-ours` jobs are not recorded at all; the other two are recorded
 * as `JobRejected` so the user can see why nothing started (DESIGN section 3).
 */
export const LabelRejectionCode = t.keyof({
  'not-ours': null,
  'invalid-label': null,
  'no-matching-instance-types': null,
});
export type LabelRejectionCode = t.TypeOf<typeof LabelRejectionCode>;

export const LabelRejection = t.type({ code: LabelRejectionCode, message: t.string });
export type LabelRejection = t.TypeOf<typeof LabelRejection>;

export const notOurs = (message: string): LabelRejection => ({ code: 'not-ours', message });
export const invalidLabel = (message: string): LabelRejection => ({ code: 'invalid-label', message });
export const noMatchingInstanceTypes = (message: string): LabelRejection => ({
  code: 'no-matching-instance-types',
  message,
});
