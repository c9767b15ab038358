import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cropOrgans, generatePhantomDataset, generatePhantomSubject, makeRng, PHANTOM_SHAPE } from '../../src/lib/data/phantom';
import { NUM_CLASSES, ORGAN_LABELS } from '../../src/lib/data/labels';
import { classCounts, maskAt, volumeAt } from '../../src/lib/data/medmnist';
import { loadDataset, saveDataset } from '../../src/lib/data/store.node';

const md5 = (a: ArrayBufferView) => createHash('md5').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

describe('phantom subject', () => {
  const s = generatePhantomSubject(12345);
  it('is deterministic for a seed and differs across seeds', () => {
    const again = generatePhantomSubject(12345);
    expect(md5(again.hu)).toBe(md5(s.hu));
    expect(md5(again.labels)).toBe(md5(s.labels));
    expect(md5(generatePhantomSubject(54321).labels)).not.toBe(md5(s.labels));
  });
  it('contains all 11 organs with plausible HU and laterality', () => {
    const [D, H, W] = PHANTOM_SHAPE;
    const cnt = new Array(NUM_CLASSES).fill(0);
    const sumX = new Array(NUM_CLASSES).fill(0);
    const sumZ = new Array(NUM_CLASSES).fill(0);
    const sumHU = new Array(NUM_CLASSES).fill(0);
    for (let z = 0; z < D; z++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const i = (z * H + y) * W + x;
          const l = s.labels[i];
          if (!l) continue;
          cnt[l - 1]++;
          sumX[l - 1] += x;
          sumZ[l - 1] += z;
          sumHU[l - 1] += s.hu[i];
        }
    const L = (n: (typeof ORGAN_LABELS)[number]) => ORGAN_LABELS.indexOf(n);
    const mx = (n: (typeof ORGAN_LABELS)[number]) => sumX[L(n)] / cnt[L(n)];
    const mz = (n: (typeof ORGAN_LABELS)[number]) => sumZ[L(n)] / cnt[L(n)];
    const hu = (n: (typeof ORGAN_LABELS)[number]) => sumHU[L(n)] / cnt[L(n)];
    for (let c = 0; c < NUM_CLASSES; c++) expect(cnt[c], ORGAN_LABELS[c]).toBeGreaterThan(100);
    // +x = patient's left (radiological display: patient's right on the image left)
    const mid = W / 2;
    for (const r of ['kidney-right', 'femur-right', 'lung-right', 'liver'] as const) expect(mx(r), r).toBeLessThan(mid);
    for (const l of ['kidney-left', 'femur-left', 'lung-left', 'spleen'] as const) expect(mx(l), l).toBeGreaterThan(mid);
    // cranio-caudal order: lungs/heart above liver above kidneys above bladder/femurs
    expect(mz('lung-right')).toBeLessThan(mz('liver'));
    expect(mz('heart')).toBeLessThan(mz('kidney-left'));
    expect(mz('kidney-right')).toBeLessThan(mz('bladder'));
    expect(hu('lung-left')).toBeLessThan(-600);
    expect(hu('femur-right')).toBeGreaterThan(200);
    expect(Math.abs(hu('liver') - 60)).toBeLessThan(30);
  });
  it('crops every organ with a non-empty mask; left and right crops differ', () => {
    const crops = cropOrgans(s, [28], makeRng(1)).get(28)!;
    expect(crops.map((c) => c.label)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    for (const c of crops) {
      const m = c.mask.reduce((a, b) => a + b, 0);
      expect(m, ORGAN_LABELS[c.label]).toBeGreaterThan(28 ** 3 * 0.03);
      expect(c.image.length).toBe(28 ** 3);
    }
    expect(md5(crops[1].image)).not.toBe(md5(crops[2].image));
  });
});

describe('phantom dataset (small)', () => {
  it('has the MedMNIST structure, balanced labels, masks, deterministic output', () => {
    const opts = { size: 28, seed: 7, subjects: { train: 3, val: 1, test: 1 }, targetCounts: { train: 31 } };
    const ds = generatePhantomDataset(opts);
    expect(ds.splits.train.count).toBe(31);
    expect(ds.splits.val.count).toBe(11);
    expect(ds.splits.test.count).toBe(11);
    const cc = classCounts(ds);
    expect(cc.val).toEqual(new Array(11).fill(1));
    expect(Math.min(...cc.train)).toBeGreaterThanOrEqual(1);
    expect(ds.splits.train.images.shape).toEqual([31, 28, 28, 28]);
    for (let i = 0; i < ds.splits.test.count; i++) expect(maskAt(ds.splits.test, i)!.some((v) => v === 1)).toBe(true);
    expect(volumeAt(ds.splits.val, 3).length).toBe(28 ** 3);
    const again = generatePhantomDataset(opts);
    expect(md5(again.splits.train.images.data)).toBe(md5(ds.splits.train.images.data));
    expect(md5(again.splits.test.masks!.data)).toBe(md5(ds.splits.test.masks!.data));

    // mirror symmetry of the organ shapes: mean |kidney-left mask − mirrored kidney-right mask| is
    // much smaller than against the unmirrored one, for the same subject
    const sp = ds.splits.val;
    const kr = maskAt(sp, Array.from(sp.labels).indexOf(1))!;
    const kl = maskAt(sp, Array.from(sp.labels).indexOf(2))!;
    const S = 28;
    let dm = 0, dn = 0;
    for (let z = 0; z < S; z++)
      for (let y = 0; y < S; y++)
        for (let x = 0; x < S; x++) {
          dm += Math.abs(kl[(z * S + y) * S + x] - kr[(z * S + y) * S + (S - 1 - x)]);
          dn += Math.abs(kl[(z * S + y) * S + x] - kr[(z * S + y) * S + x]);
        }
    expect(dm).toBeLessThan(dn);

    // save + load round trip through the cache folder
    const dir = mkdtempSync(join(tmpdir(), 'phantom-'));
    saveDataset(ds, dir);
    return loadDataset('phantom', 28, { dir, withMasks: true, fetchIfMissing: false }).then((back) => {
      expect(back.splits.train.count).toBe(31);
      expect(Array.from(back.splits.train.labels)).toEqual(Array.from(ds.splits.train.labels));
      expect(md5(back.splits.val.masks!.data)).toBe(md5(ds.splits.val.masks!.data));
    });
  });
});
