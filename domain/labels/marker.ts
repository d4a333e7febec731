import * as O from 'fp-ts/lib/Option.js';

const MARKER = 'runs-fleet';

export interface Marker {
  readonly label: string;
  readonly runId: string | null;
  /** The text after the first `/`, '' when none. */
  readonly spec: string;
  readonly warnings: ReadonlyArray<string>;
}

const legacy = (label: string): Marker => {
  const rest = label.slice(MARKER.length + 1);
  const slash = rest.indexOf('/');
  const runId = slash === -1 ? rest : rest.slice(0, slash);
  const spec = slash === -1 ? '' : rest.slice(slash + 1);

  // An empty run id is tolerated: it is informational only, and rejecting would strand a job that asked for us.
  return runId === ''
    ? { label, runId: null, spec, warnings: ['empty run id in runs-fleet= marker ignored'] }
    : { label, runId, spec, warnings: [] };
};

/**
 * Recognises the native marker: exactly `runs-fleet`, `runs-fleet/<spec>` or legacy `runs-fleet=<run-id>[/<spec>]`.
 * Anything else that merely starts with the name (`runs-fleet-foo`, `runs-fleetish`) is not ours.
 */
export const parseMarker = (label: string): O.Option<Marker> => {
  if (label === MARKER) return O.some({ label, runId: null, spec: '', warnings: [] });
  if (label.startsWith(`${MARKER}/`)) {
    return O.some({ label, runId: null, spec: label.slice(MARKER.length + 1), warnings: [] });
  }

  return label.startsWith(`${MARKER}=`) ? O.some(legacy(label)) : O.none;
};

/** The first marker in `runs-on` order. */
export const findMarker = (labels: ReadonlyArray<string>): O.Option<Marker> => {
  for (const label of labels) {
    const marker = parseMarker(label);
    if (O.isSome(marker)) return marker;
  }

  return O.none;
};
