/**
 * The difficulty audit (src/lib/audit/audit.ts) on data whose answer is known: crops that are their
 * class's template (every baseline near 100 %, targets not met), crops of pure noise (near chance),
 * and a small generated phantom (every statistic computed, in range, per organ).
 */
import { describe, expect, it } from 'vitest';
import { auditDataset, AUDIT_TARGETS, targetsMet } from '../../src/lib/audit/audit';
import { smallCnnBaseline } from '../../src/lib/audit/cnn';
import * as tf from '@tensorflow/tfjs';
import { generatePhantomDataset } from '../../src/lib/data/phantom';
import { NUM_CLASSES } from '../../src/lib/data/labels';
import { mulberry32 } from '../../src/lib/util/random';
import type { Dataset, Split } from '../../src/lib/data/medmnist';

const S = 8;
/** n crops per class; `image(label, rnd)` fills one S³ crop. */
function synthetic(n: number, image: (label: number, rnd: () => number) => (i: number) => number, seed: number): Split {
  const rnd = mulberry32(seed);
  const count = n * NUM_CLASSES;
  const data = new Uint8Array(count * S ** 3);
  const labels = new Int32Array(count);
  for (let j = 0; j < count; j++) {
    labels[j] = j % NUM_CLASSES;
    const f = image(labels[j], rnd);
    for (let i = 0; i < S ** 3; i++) data[j * S ** 3 + i] = Math.max(0, Math.min(255, Math.round(f(i))));
  }
  return { images: { data, shape: [count, S, S, S], dtype: 'uint8' } as Split['images'], labels, count };
}
const dataset = (image: Parameters<typeof synthetic>[1]): Dataset => ({
  name: 'synthetic',
  size: S,
  splits: { train: synthetic(12, image, 1), val: synthetic(1, image, 2), test: synthetic(6, image, 3) },
});

describe('difficulty audit', () => {
  it('class templates: the block-mean regressions name every crop and no target is met', () => {
    // class k: a bright octant k % 8 at a class-specific level, plus a little noise
    const a = auditDataset(dataset((label, rnd) => (i) => {
      const z = Math.floor(i / (S * S)), y = Math.floor(i / S) % S, x = i % S;
      const oct = (z >= S / 2 ? 4 : 0) + (y >= S / 2 ? 2 : 0) + (x >= S / 2 ? 1 : 0);
      return (oct === label % 8 ? 120 + 10 * label : 40) + 4 * rnd();
    }));
    const lr2 = a.baselines.find((b) => b.id === 'lr-block2')!;
    expect(lr2.testAccuracy).toBeGreaterThan(0.95);
    expect(lr2.perClass!.every((r) => r > 0.8)).toBe(true);
    expect(a.templateMargin.mean).toBeGreaterThan(AUDIT_TARGETS.margin);
    expect(a.targetsMet).toBe(false);
  });

  it('pure noise: every baseline near chance', () => {
    const a = auditDataset(dataset((_, rnd) => () => 255 * rnd()));
    for (const b of a.baselines) expect(b.testAccuracy, b.id).toBeLessThan(0.3);
    expect(Math.abs(a.templateMargin.mean)).toBeLessThan(0.2);
  });

  it('a small generated phantom: every statistic computed and in range, per organ where it applies', () => {
    const ds = generatePhantomDataset({ size: 28, seed: 11, subjects: { train: 2, val: 1, test: 1 }, targetCounts: null });
    const a = auditDataset(ds);
    expect(a.counts).toEqual({ train: ds.splits.train.count, test: ds.splits.test.count });
    expect(a.baselines.map((b) => b.id)).toEqual(['lr-block2', 'lr-block4', 'lr-hist32', 'ncm-block8']);
    for (const b of a.baselines) {
      expect(b.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(b.testAccuracy).toBeLessThanOrEqual(1);
    }
    const lr4 = a.baselines[1];
    expect(lr4.perClass).toHaveLength(NUM_CLASSES);
    expect(lr4.target).toEqual({ max: AUDIT_TARGETS.lr4 });
    expect(Number.isFinite(a.templateMargin.mean)).toBe(true);
    // shares add up to 1 for every organ with a test crop (a short scan range may cut one off)
    const present = new Set(ds.splits.test.labels);
    a.composition!.perClass.forEach((c, k) => present.has(k) && expect(c.organ + c.neighbours + c.bone + c.other).toBeCloseTo(1, 6));
    expect(present.size).toBeGreaterThanOrEqual(6);
    expect(a.targetsMet).toBe(a.baselines.every((b) => !b.target || b.testAccuracy <= b.target.max) && a.templateMargin.mean < AUDIT_TARGETS.margin);
    expect(a.targetsMet).toBe(targetsMet(a));
    // orientation modes are off by default: no crop stored mirrored or flipped
    expect(a.orientation).toEqual({ mirrored: 0, flipped: 0 });
  });

  it('issue 26 targets: 4³ ≤ 85 %, 2³ ≤ 65 %, margin < 0.2, small CNN ≤ 95 %', () => {
    expect(AUDIT_TARGETS).toEqual({ lr4: 0.85, lr2: 0.65, margin: 0.2, cnn: 0.95 });
  });

  it('small 3D CNN baseline: learns class templates, stays near chance on noise', async () => {
    await tf.setBackend('cpu');
    const templ = dataset((label, rnd) => (i) => {
      const z = Math.floor(i / (S * S)), y = Math.floor(i / S) % S, x = i % S;
      const oct = (z >= S / 2 ? 4 : 0) + (y >= S / 2 ? 2 : 0) + (x >= S / 2 ? 1 : 0);
      return (oct === label % 8 ? 120 + 10 * label : 40) + 4 * rnd();
    });
    // the "organ" is the class's bright octant: it alone carries the label, so replacing it must lose the crop
    const test = templ.splits.test;
    const masks = new Uint8Array(test.count * S ** 3);
    for (let j = 0; j < test.count; j++)
      for (let i = 0; i < S ** 3; i++) {
        const z = Math.floor(i / (S * S)), y = Math.floor(i / S) % S, x = i % S;
        masks[j * S ** 3 + i] = (z >= S / 2 ? 4 : 0) + (y >= S / 2 ? 2 : 0) + (x >= S / 2 ? 1 : 0) === test.labels[j] % 8 ? 1 : 0;
      }
    test.masks = { data: masks, shape: [test.count, S, S, S], dtype: 'uint8' } as Split['images'];
    const b = await smallCnnBaseline(templ, { epochs: 30, batch: 33, widths: [4, 8, 8, 16], learningRate: 1e-2 });
    expect(b.id).toBe('cnn-small');
    expect(b.target).toEqual({ max: AUDIT_TARGETS.cnn });
    expect(b.testAccuracy).toBeGreaterThan(0.6);
    expect(b.confusion.flat().reduce((p, q) => p + q, 0)).toBe(templ.splits.test.count);
    expect(b.organReplaced!.testAccuracy).toBeLessThan(b.testAccuracy - 0.3);
    expect(b.organReplaced!.organsFalling10).toBeGreaterThanOrEqual(6);
    const noise = await smallCnnBaseline(dataset((_, rnd) => () => 255 * rnd()), { epochs: 3, batch: 33, widths: [4, 8, 8, 16] });
    expect(noise.testAccuracy).toBeLessThan(0.35);
    expect(noise.organReplaced).toBeUndefined(); // no masks, no occlusion control
  }, 60_000);
});
