import { describe, expect, it } from 'vitest';
import { decideFloat16 } from '../../src/lib/export/model.node.ts';

const res = (probs: number[], accuracy: number) => ({ loss: 0, accuracy, probs: new Float32Array(probs), labels: new Int32Array(probs.length / 2) });

describe('decideFloat16', () => {
  it('ships float16 when no prediction changes, and reports the largest probability change', () => {
    const d = decideFloat16(res([0.9, 0.1, 0.4, 0.6], 1), res([0.875, 0.125, 0.375, 0.625], 1), 2);
    expect(d.useFloat16).toBe(true);
    expect(d.changed).toBe(0);
    expect(d.maxProbDiff).toBeCloseTo(0.025, 6);
  });
  it('keeps float32 when a prediction flips, or when asked to', () => {
    const flip = decideFloat16(res([0.9, 0.1, 0.51, 0.49], 1), res([0.9, 0.1, 0.49, 0.51], 0.5), 2);
    expect(flip).toMatchObject({ useFloat16: false, changed: 1 });
    expect(decideFloat16(res([0.9, 0.1], 1), res([0.9, 0.1], 1), 2, true).useFloat16).toBe(false);
  });
});
