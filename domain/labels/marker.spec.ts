import * as O from 'fp-ts/lib/Option.js';
import { describe, expect, it } from 'vitest';
import { findMarker, parseMarker } from './marker.js';

describe('parseMarker', () => {
  it.each([
    ['runs-fleet', null, ''],
    ['runs-fleet/cpu=4', null, 'cpu=4'],
    ['runs-fleet/', null, ''],
    ['runs-fleet=12345', '12345', ''],
    ['runs-fleet=12345/cpu=4/arch=arm64', '12345', 'cpu=4/arch=arm64'],
  ])('%s is ours (run id %s, spec %j)', (label, runId, spec) => {
    expect(parseMarker(label)).toEqual(O.some({ label, runId, spec, warnings: [] }));
  });

  it('tolerates an empty legacy run id with a warning', () => {
    expect(parseMarker('runs-fleet=/cpu=4')).toEqual(
      O.some({
        label: 'runs-fleet=/cpu=4',
        runId: null,
        spec: 'cpu=4',
        warnings: ['empty run id in runs-fleet= marker ignored'],
      }),
    );
  });

  it.each(['runs-fleet-foo', 'runs-fleetish', 'Runs-Fleet', ' runs-fleet', 'self-hosted', 'x/runs-fleet', ''])(
    '%j is not ours',
    (label) => {
      expect(parseMarker(label)).toEqual(O.none);
    },
  );

  it('takes the first marker in runs-on order', () => {
    expect(findMarker(['self-hosted', 'runs-fleet/cpu=8', 'runs-fleet/cpu=2'])).toMatchObject(
      O.some({ spec: 'cpu=8' }),
    );
  });
});
