/**
 * The explorers' curve baselines (src/components/explorer/baseline.ts): the build's screened state
 * becomes what the worker can build, survives the trip through a data attribute, and a state the
 * browser cannot build (the voxel-wise training mean) or a damaged attribute gives none.
 */
import { describe, expect, it } from 'vitest';
import { curveBaseline, parseBaseline } from '../../src/components/explorer/baseline';

describe('explorer curve baselines', () => {
  it('builds the states a browser can make and round-trips them through JSON', () => {
    const made = [curveBaseline({ kind: 'zero' }), curveBaseline({ kind: 'blur', sigma: 1.43 }), curveBaseline({ kind: 'train-mean-value' }, 0.41234567)];
    expect(made).toEqual([{ kind: 'zero' }, { kind: 'blur', sigma: 1.43 }, { kind: 'train-mean-value', meanValue: 0.412346 }]);
    for (const b of made) expect(parseBaseline(JSON.stringify(b))).toEqual(b);
  });
  it('has none for the voxel-wise mean, the constant mean without its value, or a damaged attribute', () => {
    expect(curveBaseline({ kind: 'train-mean' }, 0.4)).toBeUndefined();
    expect(curveBaseline({ kind: 'train-mean-value' })).toBeUndefined();
    expect(parseBaseline('{"kind":"train-mean-value"}')).toBeUndefined();
    expect(parseBaseline('{not json')).toBeUndefined();
    expect(parseBaseline(undefined)).toBeUndefined();
  });
});
