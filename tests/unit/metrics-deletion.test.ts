import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { deletionInsertion, saliencyOrder, trapezoidAuc, type PredictFn } from '../../src/lib/metrics';
import { gaussianBlur3d } from '../../src/lib/data/volume';

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('trapezoidAuc', () => {
  it('integrates known curves over [0,1]', () => {
    expect(trapezoidAuc([1, 1, 1, 1])).toBeCloseTo(1, 12);
    expect(trapezoidAuc([0, 0.5, 1])).toBeCloseTo(0.5, 12);
    expect(trapezoidAuc([1, 0])).toBeCloseTo(0.5, 12);
    const k = 1000;
    const x = Array.from({ length: k + 1 }, (_, i) => i / k);
    expect(trapezoidAuc(x.map((v) => v * v), x)).toBeCloseTo(1 / 3, 5);
    // non-uniform x: a step of width 0.1 at height 1
    expect(trapezoidAuc([1, 1, 0, 0], [0, 0.1, 0.1, 1])).toBeCloseTo(0.1, 12);
    expect(trapezoidAuc([0.7])).toBe(0);
    expect(() => trapezoidAuc([1, 2], [0])).toThrow();
  });
});

describe('saliencyOrder', () => {
  it('sorts by decreasing saliency, ties by index', () => {
    expect(Array.from(saliencyOrder(Float32Array.from([0.1, 0.5, 0.1, 0.9, 0.5])))).toEqual([3, 1, 4, 0, 2]);
  });
});

/** A toy classifier whose class-1 probability is the mean intensity inside a known box. */
function boxModel(S: number, lo: number, hi: number): { predict: PredictFn; mask: Float32Array } {
  const n = S ** 3;
  const mask = new Float32Array(n);
  let count = 0;
  for (let z = lo; z < hi; z++)
    for (let y = lo; y < hi; y++)
      for (let x = lo; x < hi; x++) {
        mask[(z * S + y) * S + x] = 1;
        count++;
      }
  const w = tf.tensor2d(mask.map((v) => v / count), [n, 1]);
  const predict: PredictFn = (batch) =>
    tf.tidy(() => {
      const s = tf.clipByValue(tf.matMul(tf.reshape(batch, [batch.shape[0], n]), w), 0, 1);
      return tf.concat([tf.sub(1, s), s], 1);
    });
  return { predict, mask };
}

describe('deletionInsertion', () => {
  const S = 12;
  const n = S ** 3;
  const volume = new Float32Array(n).fill(1);
  let predict: PredictFn;
  let mask: Float32Array;
  beforeAll(() => {
    ({ predict, mask } = boxModel(S, 3, 7)); // 64 voxels of 1728
  });

  it('deletion ends on and insertion starts from a given baseline state', async () => {
    const base = new Float32Array(n).fill(0.25);
    const sal = Float32Array.from({ length: n }, (_, i) => (i * 7919) % n);
    const r = await deletionInsertion(predict, volume, sal, 1, { steps: 8, insertionStart: base, deletionEnd: base });
    // the box model reads the mean intensity in the box: 1 for the volume, 0.25 for the baseline
    expect(r.deletion.y[0]).toBeCloseTo(1, 6);
    expect(r.deletion.y[8]).toBeCloseTo(0.25, 6);
    expect(r.insertion.y[0]).toBeCloseTo(0.25, 6);
    expect(r.insertion.y[8]).toBeCloseTo(1, 6);
    await expect(deletionInsertion(predict, volume, sal, 1, { insertionStart: new Float32Array(3) })).rejects.toThrow(/must have/);
  });

  it('deletes faster and inserts faster with the oracle saliency than with a random one', async () => {
    let r = 7;
    const random = Float32Array.from({ length: n }, () => ((r = (r * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24));
    const oracle = mask.map((m, i) => m + 1e-3 * random[i]);
    const before = tf.memory().numTensors;
    const o = await deletionInsertion(predict, volume, oracle, 1, { steps: 27, insertionStart: 'zero', batchSize: 5 });
    const rnd = await deletionInsertion(predict, volume, random, 1, { steps: 27, insertionStart: 'zero', batchSize: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(o.steps).toBe(27);
    expect(o.voxelsPerStep).toBe(64);
    // the oracle removes the whole box in the first step
    expect(o.deletion.y[0]).toBeCloseTo(1, 6);
    expect(o.deletion.y[1]).toBeCloseTo(0, 6);
    expect(o.insertion.y[0]).toBeCloseTo(0, 6);
    expect(o.insertion.y[1]).toBeCloseTo(1, 6);
    expect(o.deletion.auc).toBeCloseTo(0.5 / 27, 6);
    expect(o.insertion.auc).toBeCloseTo(1 - 0.5 / 27, 6);
    // random order removes the box linearly: AUC ≈ 0.5
    expect(rnd.deletion.auc).toBeGreaterThan(0.35);
    expect(rnd.insertion.auc).toBeLessThan(0.65);
    expect(o.deletion.auc).toBeLessThan(rnd.deletion.auc - 0.3);
    expect(o.insertion.auc).toBeGreaterThan(rnd.insertion.auc + 0.3);
    // curve shapes
    expect(o.deletion.x).toHaveLength(28);
    expect(o.deletion.x[0]).toBe(0);
    expect(o.deletion.x[27]).toBe(1);
    expect(o.deletion.y[27]).toBeCloseTo(0, 6);
    expect(o.insertion.y[27]).toBeCloseTo(1, 6);
    expect(o.timings.forwardInputs).toBe(56);
  });

  it("computes the original project's 0/1 'still correct' variant", async () => {
    const oracle = mask.slice();
    const r = await deletionInsertion(predict, volume, oracle, 1, { steps: 4, insertionStart: 'zero' });
    // class 1 wins while the box mean > 0.5
    expect(r.deletionCorrect.y).toEqual([1, 0, 0, 0, 0]);
    expect(r.insertionCorrect.y).toEqual([0, 1, 1, 1, 1]);
    expect(r.deletionCorrect.auc).toBeCloseTo(0.125, 12);
    const asLabel0 = await deletionInsertion(predict, volume, oracle, 1, { steps: 4, insertionStart: 'zero', label: 0 });
    expect(asLabel0.deletionCorrect.y).toEqual([0, 1, 1, 1, 1]);
    expect(asLabel0.deletion.y).toEqual(r.deletion.y);
  });

  it('starts insertion from the Gaussian-blurred volume by default', async () => {
    const vol = Float32Array.from({ length: n }, (_, i) => (i % 7) / 7);
    const sal = Float32Array.from({ length: n }, (_, i) => i);
    const seen: Array<[number, number]> = [];
    const r = await deletionInsertion(predict, vol, sal, 1, { steps: 3, blurSigma: 1.5, onProgress: (d, t) => seen.push([d, t]) });
    const blurred = gaussianBlur3d(vol, [S, S, S], 1.5);
    const p = predict(tf.tensor4d(blurred, [1, S, S, S]));
    expect(r.insertion.y[0]).toBeCloseTo(p.dataSync()[1], 5);
    expect(seen.at(-1)).toEqual([8, 8]);
  });

  it('aborts with an AbortError and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    const p = deletionInsertion(predict, volume, mask, 1, {
      steps: 20,
      batchSize: 2,
      signal: ctl.signal,
      onProgress: (d) => d >= 4 && ctl.abort(),
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched inputs', async () => {
    await expect(deletionInsertion(predict, volume, new Float32Array(5), 1)).rejects.toThrow(/saliency/);
  });
});
