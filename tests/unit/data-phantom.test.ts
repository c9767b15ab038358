import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BONE_LABEL, CONTRAST_PHASES, cropOrgans, drawAcquisition, generatePhantomDataset, generatePhantomSubject, makeRng, orientationCode, PHANTOM_FLIPPED_SHARE, PHANTOM_MIRRORED_SHARE, PHANTOM_SHAPE, resizeNearest, SCAN_PROTOCOLS, tissueHU } from '../../src/lib/data/phantom';
import { NUM_CLASSES, ORGAN_LABELS } from '../../src/lib/data/labels';
import { classCounts, maskAt, volumeAt } from '../../src/lib/data/medmnist';
import { loadDataset, saveDataset } from '../../src/lib/data/store.node';

const md5 = (a: ArrayBufferView) => createHash('md5').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

describe('phantom subject', () => {
  // anatomy checks need the scan stored the standard way round (the default)
  const upright = { mirroredShare: 0, flippedShare: 0 };
  // a chest–abdomen–pelvis scan holds every organ (shorter protocols cut lungs, bladder or femurs off)
  let seed = 12345;
  while (drawAcquisition(seed).protocol !== 'chest-abdomen-pelvis') seed++;
  const s = generatePhantomSubject(seed, upright);
  it('is deterministic for a seed and differs across seeds', () => {
    const again = generatePhantomSubject(seed, upright);
    expect(md5(again.hu)).toBe(md5(s.hu));
    expect(md5(again.labels)).toBe(md5(s.labels));
    expect(md5(generatePhantomSubject(54321, upright).labels)).not.toBe(md5(s.labels));
  });
  it('stores scans mirrored or head–feet flipped only when asked: the same scan, reversed along x or z', () => {
    const [D, H, W] = PHANTOM_SHAPE;
    // no source supports stored orientation modes in OrganMNIST3D: off by default
    expect(PHANTOM_MIRRORED_SHARE).toBe(0);
    expect(PHANTOM_FLIPPED_SHARE).toBe(0);
    expect(drawAcquisition(seed).mirrored || drawAcquisition(seed).flippedZ).toBe(false);
    const both = generatePhantomSubject(seed, { mirroredShare: 1, flippedShare: 1 });
    expect(orientationCode(both.meta)).toBe(3);
    expect(both.meta.mirrored && both.meta.flippedZ).toBe(true);
    expect(s.meta.mirrored || s.meta.flippedZ).toBe(false);
    let diffHU = 0, diffLab = 0;
    for (let z = 0; z < D; z += 3)
      for (let y = 0; y < H; y += 2)
        for (let x = 0; x < W; x++) {
          const i = (z * H + y) * W + x, j = ((D - 1 - z) * H + y) * W + (W - 1 - x);
          diffHU = Math.max(diffHU, Math.abs(s.hu[i] - both.hu[j]));
          if (s.labels[i] !== both.labels[j]) diffLab++;
        }
    expect(diffHU).toBe(0);
    expect(diffLab).toBe(0);
    // the shares drawn over many subjects match the options
    const metas = Array.from({ length: 400 }, (_, k) => drawAcquisition(5000 + k, { mirroredShare: 0.4, flippedShare: 0.3 }));
    const share = (f: (m: (typeof metas)[number]) => boolean) => metas.filter(f).length / metas.length;
    expect(Math.abs(share((m) => m.mirrored) - 0.4)).toBeLessThan(0.08);
    expect(Math.abs(share((m) => m.flippedZ) - 0.3)).toBeLessThan(0.08);
    expect(Array.from({ length: 200 }, (_, k) => drawAcquisition(5000 + k)).some((m) => m.mirrored || m.flippedZ)).toBe(false);
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
    expect(hu('femur-right')).toBeGreaterThan(150);
    // the liver's grey level depends on the contrast phase and fat content: plausible range only
    expect(hu('liver')).toBeGreaterThan(-60);
    expect(hu('liver')).toBeLessThan(170);
    // bones that are not a class carry the bone label, and are dense
    let boneN = 0, boneHU = 0;
    for (let i = 0; i < s.labels.length; i++) if (s.labels[i] === BONE_LABEL) { boneN++; boneHU += s.hu[i]; }
    expect(boneN).toBeGreaterThan(1000);
    expect(boneHU / boneN).toBeGreaterThan(200);
    expect(CONTRAST_PHASES).toContain(s.meta.phase);
    expect(s.meta.noiseHU).toBeGreaterThanOrEqual(10);
    expect(s.meta.noiseHU).toBeLessThanOrEqual(40);
  });
  it('varies acquisition between subjects (contrast timing, protocol, noise, slice thickness)', () => {
    const metas = Array.from({ length: 40 }, (_, k) => drawAcquisition(1000 + k));
    expect(new Set(metas.map((m) => m.phase)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(metas.map((m) => m.protocol)).size).toBe(SCAN_PROTOCOLS.length);
    expect(new Set(metas.map((m) => Math.round(m.contrastSeconds))).size).toBeGreaterThan(20);
    // time–attenuation: the aorta peaks early, the renal medulla later, excreted urine last
    expect(tissueHU('artery', 30, 1)).toBeGreaterThan(tissueHU('artery', 90, 1));
    expect(tissueHU('medulla', 100, 1)).toBeGreaterThan(tissueHU('medulla', 30, 1));
    expect(tissueHU('pelvis', 400, 1)).toBeGreaterThan(300);
    expect(tissueHU('liver', 0, 1)).toBe(tissueHU('liver', 500, 0));
    expect(new Set(metas.map((m) => m.sliceFactor)).size).toBeGreaterThanOrEqual(2);
    expect(Math.max(...metas.map((m) => m.noiseHU)) - Math.min(...metas.map((m) => m.noiseHU))).toBeGreaterThan(10);
  });
  it('resizes label maps by nearest neighbour (no invented labels)', () => {
    const src = new Uint8Array(4 * 4 * 4);
    src.fill(3, 0, 32);
    src.fill(12, 32);
    const out = resizeNearest(src, [4, 4, 4], [7, 7, 7]);
    expect(new Set(out)).toEqual(new Set([3, 12]));
    expect(out[0]).toBe(3);
    expect(out[out.length - 1]).toBe(12);
  });
  it('crops every organ with a non-empty mask and a label map that agrees with it', () => {
    const crops = cropOrgans(s, [28], makeRng(1)).get(28)!;
    expect(crops.length).toBeGreaterThanOrEqual(6); // the scan range may cut organs off (lungs, heart, bladder, femurs)
    for (const c of crops) {
      const m = c.mask.reduce((a, b) => a + b, 0);
      expect(m, ORGAN_LABELS[c.label]).toBeGreaterThan(28 ** 3 * 0.02);
      let agree = 0;
      for (let i = 0; i < c.mask.length; i++) if ((c.labelMap[i] === c.label + 1) === (c.mask[i] === 1)) agree++;
      expect(agree / c.mask.length, ORGAN_LABELS[c.label]).toBeGreaterThan(0.95);
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
    // one crop per organ and subject, less the organs the scan range cut off
    expect(ds.splits.val.count).toBeGreaterThanOrEqual(6);
    expect(ds.splits.val.count).toBeLessThanOrEqual(11);
    const cc = classCounts(ds);
    expect(Math.max(...cc.val)).toBe(1);
    // subject ids: train crops come from 3 subjects, val from a fourth; label maps per crop
    expect(new Set(ds.splits.train.subjects).size).toBe(3);
    expect(new Set(ds.splits.val.subjects).size).toBe(1);
    expect([...new Set(ds.splits.train.subjects)].some((id) => ds.splits.val.subjects!.includes(id))).toBe(false);
    expect(ds.splits.test.labelMaps!.shape).toEqual([ds.splits.test.count, 28, 28, 28]);
    expect(Math.min(...cc.train)).toBeGreaterThanOrEqual(1);
    expect(ds.splits.train.images.shape).toEqual([31, 28, 28, 28]);
    for (let i = 0; i < ds.splits.test.count; i++) expect(maskAt(ds.splits.test, i)!.some((v) => v === 1)).toBe(true);
    expect(volumeAt(ds.splits.val, 3).length).toBe(28 ** 3);
    const again = generatePhantomDataset(opts);
    expect(md5(again.splits.train.images.data)).toBe(md5(ds.splits.train.images.data));
    expect(md5(again.splits.test.masks!.data)).toBe(md5(ds.splits.test.masks!.data));

    // mirror symmetry of the organ shapes: summed over the subjects with both kidneys cropped,
    // |kidney-left mask − mirrored kidney-right mask| is smaller than against the unmirrored one
    // (one subject's pair can differ by more: each kidney has its own size, tilt and neighbours)
    const S = 28;
    let dm = 0, dn = 0, pairs = 0;
    for (const sp of [ds.splits.train, ds.splits.val, ds.splits.test]) {
      for (const subject of new Set(sp.subjects)) {
        const of = (label: number) => Array.from(sp.labels).findIndex((l, i) => l === label && sp.subjects![i] === subject);
        const ir = of(1), il = of(2);
        if (ir < 0 || il < 0) continue;
        const kr = maskAt(sp, ir)!, kl = maskAt(sp, il)!;
        pairs++;
        for (let z = 0; z < S; z++)
          for (let y = 0; y < S; y++)
            for (let x = 0; x < S; x++) {
              dm += Math.abs(kl[(z * S + y) * S + x] - kr[(z * S + y) * S + (S - 1 - x)]);
              dn += Math.abs(kl[(z * S + y) * S + x] - kr[(z * S + y) * S + x]);
            }
      }
    }
    expect(pairs).toBeGreaterThanOrEqual(3);
    expect(dm).toBeLessThan(dn);

    // save + load round trip through the cache folder
    const dir = mkdtempSync(join(tmpdir(), 'phantom-'));
    saveDataset(ds, dir);
    return loadDataset('phantom', 28, { dir, withMasks: true, fetchIfMissing: false }).then((back) => {
      expect(back.splits.train.count).toBe(31);
      expect(Array.from(back.splits.train.labels)).toEqual(Array.from(ds.splits.train.labels));
      expect(md5(back.splits.val.masks!.data)).toBe(md5(ds.splits.val.masks!.data));
      expect(md5(back.splits.val.labelMaps!.data)).toBe(md5(ds.splits.val.labelMaps!.data));
      expect(Array.from(back.splits.train.subjects!)).toEqual(Array.from(ds.splits.train.subjects!));
      // every crop keeps the orientation its scan was stored in (all as stored by default)
      expect(Array.from(back.splits.test.orientations!)).toEqual(Array.from(ds.splits.test.orientations!));
      expect(ds.splits.train.orientations!.every((v) => v === 0)).toBe(true);
    });
  });

  it("records each crop's stored orientation when the modes are on, per subject", () => {
    const ds = generatePhantomDataset({ size: 28, seed: 7, subjects: { train: 4, val: 1, test: 1 }, targetCounts: null, mirroredShare: 0.5, flippedShare: 0.5 });
    const sp = ds.splits.train;
    expect(sp.orientations).toHaveLength(sp.count);
    expect(new Set(sp.orientations).size).toBeGreaterThan(1);
    // one code per subject
    for (let i = 1; i < sp.count; i++) if (sp.subjects![i] === sp.subjects![i - 1]) expect(sp.orientations![i]).toBe(sp.orientations![i - 1]);
  });
});
