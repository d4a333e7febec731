/** A housekeeping judgement: act (with why), or keep, always with the reason, for logs and tests. */
export type Keep = { readonly kind: 'keep'; readonly why: string };

export const keep = (why: string): Keep => ({ kind: 'keep', why });
