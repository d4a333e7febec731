/**
 * Version guards (DESIGN section 2): a view remembers the last version it applied PER SOURCE STREAM, because a view
 * may fold many streams. An event is applied only when it is exactly the next version of its stream; a repeat is a
 * no-op; a gap means the stream must be re-read from the store before going on.
 */
export type GuardOutcome =
  { readonly kind: 'apply' } | { readonly kind: 'duplicate' } | { readonly kind: 'gap'; readonly expected: number };

export const guard = (lastApplied: number, version: number): GuardOutcome => {
  if (version <= lastApplied) return { kind: 'duplicate' };
  if (version === lastApplied + 1) return { kind: 'apply' };

  return { kind: 'gap', expected: lastApplied + 1 };
};
