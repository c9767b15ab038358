import { describe, expect, it } from 'vitest';
import { argmax } from '../../src/lib/util/array';

describe('argmax', () => {
  it('takes the first of equal maxima, like numpy', () => {
    expect(argmax([0.1, 0.7, 0.2, 0.7])).toBe(1);
    expect(argmax([-3, -1, -2])).toBe(1);
  });
  it('works on a row of a flat matrix, relative to the row start', () => {
    const m = new Float32Array([0.1, 0.7, 0.2, /* row 1 */ 0.4, 0.4, 0.2]);
    expect(argmax(m, 0, 3)).toBe(1);
    expect(argmax(m, 3, 6)).toBe(0);
  });
  it('rejects an empty range', () => {
    expect(() => argmax([])).toThrow(/empty/);
  });
});
