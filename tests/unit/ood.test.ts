/**
 * The out-of-distribution score (src/lib/ood) and the implausible-input checks (input-check.ts,
 * user-volume.ts, nifti.ts): the linear algebra against closed forms, the fit on synthetic
 * Gaussians at its stated false-alarm rate, the shipped model's calibration (ood.json, summarised
 * in manifest.json) flagging uniform noise, a smooth blob and constant volumes while passing the
 * shipped test volumes, and the files no scanner writes refused with their reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { cholesky, ledoitWolf, mahalanobis2, packLower, quantile, unpackLower } from '../../src/lib/ood/linalg';
import { fitOod, OOD_FALSE_ALARM_RATE, parseOodCalibration, type OodSplitData } from '../../src/lib/ood/calibration';
import { intensityStats } from '../../src/lib/ood/intensity';
import { prepareOod, scoreOod, describeOod, type PreparedOod } from '../../src/lib/ood/score';
import { headLogits, poolMaps, scoreVolumeOod, volumeFeatures } from '../../src/lib/ood/features';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { fuseForInference, type FusedResNet3d } from '../../src/lib/model/inference';
import { stageActivations } from '../../src/lib/cam';
import { loadModelDir } from '../../scripts/lib/model-dir';
import { SHIPPED_MODEL_DIR } from '../../src/lib/model/shipped';
import { parseShippedIndex, parseShippedVolume } from '../../src/lib/data/shipped';
import { uint8ToUnit } from '../../src/lib/data/volume';
import { DataFormatError, writeNpy } from '../../src/lib/data/npy';
import { writeNifti } from '../../src/lib/data/nifti';
import { prepareUserVolume, readUserFile } from '../../src/lib/data/user-volume';
import { implausibleCases } from '../malformed/generate';
import type { ResNet3d } from '../../src/lib/model/resnet3d';

/** A seeded generator (mulberry32) and standard normals. */
function rng(seed: number) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return { u, normal };
}

describe('linear algebra', () => {
  it('Cholesky and Mahalanobis agree with a hand-checked 2 × 2 case; packing round-trips', () => {
    const a = [4, 2, 2, 3];
    const l = cholesky(a, 2);
    expect(Array.from(l)).toEqual([2, 0, 1, Math.sqrt(2)]);
    // A⁻¹ = [[3, −2], [−2, 4]] / 8: vᵀA⁻¹v for v = (1, 1) is (3 − 4 + 4) / 8
    expect(mahalanobis2(l, 2, [1, 1])).toBeCloseTo(3 / 8, 12);
    expect(Array.from(unpackLower(packLower(a, 2), 2))).toEqual(a);
    expect(() => cholesky([1, 2, 2, 1], 2)).toThrow(/not positive definite/);
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 1)).toBe(5);
  });

  it('Ledoit–Wolf shrinkage keeps fewer rows than dimensions positive definite, and shrinks little with many rows', () => {
    const r = rng(3);
    const d = 20;
    const few = Float64Array.from({ length: 5 * d }, r.normal);
    const lw = ledoitWolf(few, 5, d);
    expect(lw.shrinkage).toBeGreaterThan(0.2);
    expect(() => cholesky(lw.cov, d)).not.toThrow();
    // variances 0.01 … 9 (far from a scaled identity) and many rows: little shrinkage, the sample variances kept
    const scale = (j: number) => 0.1 + (2.9 * j) / (d - 1);
    const many = Float64Array.from({ length: 4000 * d }, (_, k) => r.normal() * scale(k % d));
    const lw2 = ledoitWolf(many, 4000, d);
    expect(lw2.shrinkage).toBeLessThan(0.05);
    for (let j = d / 2; j < d; j++) expect(lw2.cov[j * d + j] / scale(j) ** 2).toBeCloseTo(1, 0);
    // the truth a scaled identity: shrinking all the way to it is right
    expect(ledoitWolf(Float64Array.from({ length: 4000 * d }, r.normal), 4000, d).shrinkage).toBeGreaterThan(0.5);
    expect(ledoitWolf(new Float64Array(3 * d), 3, d).shrinkage).toBe(1); // all-zero rows: a defined (tiny identity) covariance
  });
});

describe('fitOod on synthetic data', () => {
  function split(n: number, seed: number, shift = 0): OodSplitData {
    const r = rng(seed);
    const d = 8;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const features = Float32Array.from({ length: n * d }, (_, j) => r.normal() + labels[Math.floor(j / d)] * 4 + shift);
    const volume = (k: number) => Float32Array.from({ length: 8 ** 3 }, () => Math.min(1, Math.max(0, 0.4 + 0.15 * r.normal() + k)));
    return { features, logits: new Float32Array(n * 3), intensity: Array.from({ length: n }, () => intensityStats(volume(shift ? 0.5 : 0), 8)), labels, count: n };
  }

  it('sets thresholds at the stated validation quantile, and flags a shifted split', () => {
    const c = fitOod({ model: { name: 'syn', weightsSha256: 'x' }, dataset: { name: 'syn', size: 8 }, numClasses: 3, train: split(600, 1), val: split(400, 2), test: split(400, 3) });
    expect(c.falseAlarmRate).toBe(OOD_FALSE_ALARM_RATE);
    expect(c.rates.val.features).toBeCloseTo(OOD_FALSE_ALARM_RATE / 2, 2);
    expect(c.rates.val.any).toBeLessThanOrEqual(OOD_FALSE_ALARM_RATE + 1e-9);
    expect(c.rates.test!.any).toBeLessThan(0.06);
    const far = fitOod({ model: { name: 'syn', weightsSha256: 'x' }, dataset: { name: 'syn', size: 8 }, numClasses: 3, train: split(600, 1), val: split(400, 2), test: split(200, 4, 6) });
    expect(far.rates.test!.any).toBe(1);
    // the JSON round trip is what the browser reads
    const back = parseOodCalibration(JSON.parse(JSON.stringify(c)));
    expect(back.thresholds).toEqual(c.thresholds);
    expect(() => parseOodCalibration({ ...c, version: 99 })).toThrow(/version 99/);
    expect(() => parseOodCalibration({ ...c, features: { ...c.features, covarianceLower: [1, 2] } })).toThrow(/covariance has 2 numbers/);
  });

  it('refuses a fit without training or validation volumes', () => {
    const empty = { features: new Float32Array(0), logits: new Float32Array(0), intensity: [], labels: [], count: 0 };
    expect(() => fitOod({ model: { name: 'a', weightsSha256: 'x' }, dataset: { name: 'a', size: 8 }, numClasses: 3, train: split(10, 1), val: empty })).toThrow(/needs training and validation volumes/);
  });
});

describe('the shipped model’s calibration', () => {
  let model: ResNet3d;
  let fused: FusedResNet3d;
  let ood: PreparedOod;
  const S = 64;
  const N = S ** 3;
  const manifest = JSON.parse(readFileSync(path.join(SHIPPED_MODEL_DIR, 'manifest.json'), 'utf8'));
  const oodText = readFileSync(path.join(SHIPPED_MODEL_DIR, manifest.ood?.file ?? 'ood.json'), 'utf8');

  beforeAll(async () => {
    await initNodeBackend('wasm');
    model = (await loadModelDir()).model;
    fused = fuseForInference(model);
    ood = prepareOod(JSON.parse(oodText));
  }, 60_000);

  it('manifest.json summarises ood.json of these weights, with ≤ 5 % of the test split flagged', () => {
    const c = ood.calibration;
    expect(manifest.ood.sha256).toBe(createHash('sha256').update(oodText).digest('hex'));
    expect(c.model.weightsSha256).toBe(manifest.weights.sha256);
    expect(manifest.ood.thresholds).toEqual(c.thresholds);
    expect(manifest.ood.rates).toEqual(c.rates);
    expect(c.features.dim).toBe(manifest.architecture.widths[3]);
    expect(c.rates.val.n).toBe(c.calibration.n);
    expect(c.rates.val.any).toBeLessThanOrEqual(c.falseAlarmRate + 1 / c.rates.val.n + 1e-9);
    expect(c.rates.test!.any).toBeLessThanOrEqual(0.05);
  });

  const blob = () => Float32Array.from({ length: N }, (_, i) => {
    const x = i % S, y = Math.floor(i / S) % S, z = Math.floor(i / S / S);
    return Math.exp(-((x - 32) ** 2 + (y - 30) ** 2 + (z - 34) ** 2) / (2 * 12 ** 2));
  });
  const r = rng(11);
  const cases: Array<[string, () => Float32Array]> = [
    ['uniform random bytes', () => Float32Array.from({ length: N }, () => Math.floor(r.u() * 256) / 255)],
    ['a smooth Gaussian blob', blob],
    ['a constant volume at 0', () => new Float32Array(N)],
    ['a constant volume at 0.5', () => new Float32Array(N).fill(0.5)],
    ['a constant volume at 1', () => new Float32Array(N).fill(1)],
  ];
  for (const [what, make] of cases) {
    it(`flags ${what}, in a sentence for the prediction line`, async () => {
      const o = await scoreVolumeOod(fused, ood, make());
      expect(o.flagged, describeOod(o)).toBe(true);
      expect(o.message).toMatch(/^This volume is unlike the training data, so the prediction and its CAM should not be read as an organ finding \(/);
    });
  }

  it('passes the shipped test volumes (real crops), and the worker’s path (pooled stage-4 maps + the head) equals the batch path', async () => {
    const index = parseShippedIndex(JSON.parse(readFileSync('public/volumes/index.json', 'utf8')), 'index.json');
    const vols = index.volumes.slice(0, 6);
    let flagged = 0;
    for (const e of vols) {
      const v = parseShippedVolume(new Uint8Array(readFileSync(path.join('public/volumes', e.file))), e, index.dataset.size);
      const x = uint8ToUnit(v.image);
      const o = await scoreVolumeOod(fused, ood, x);
      flagged += +o.flagged;
      if (e === vols[0]) {
        const a = await stageActivations(fused, x, 4);
        const f = poolMaps(a.maps, a.channels);
        const logits = headLogits(f, model.variables.get('fc.w')!.dataSync(), model.variables.get('fc.b')!.dataSync());
        const b = await volumeFeatures(fused, x);
        for (let k = 0; k < f.length; k++) expect(f[k]).toBeCloseTo(b.features[k], 4);
        for (let k = 0; k < logits.length; k++) expect(logits[k]).toBeCloseTo(b.logits[k], 3);
        const w = scoreOod(ood, f, logits, x, S);
        expect(w.featureDistance).toBeCloseTo(o.featureDistance, 3);
      }
    }
    expect(flagged).toBeLessThanOrEqual(1);
  }, 60_000);
});

describe('implausible inputs: refused with the reason, or resampled with a warning naming the factor', () => {
  for (const c of implausibleCases()) {
    it(`${c.id}: ${c.what}`, () => {
      let err: unknown;
      try {
        prepareUserVolume(readUserFile(c.bytes, c.name), c.name);
      } catch (e) {
        err = e;
      }
      expect(err, `${c.id} was accepted`).toBeInstanceOf(DataFormatError);
      expect((err as Error).message).toMatch(c.expect);
      expect((err as Error).message.startsWith(`${c.name}: `)).toBe(true);
    });
  }

  it('a CT with a fill value of −3,024 HU outside the scan circle, and metal in 0.3 % of voxels, is read', () => {
    const n = 32 ** 3;
    const hu = Int16Array.from({ length: n }, (_, i) => (i % 4 === 0 ? -3024 : i % 331 === 0 ? 8000 : i % 2 ? 40 + (i % 60) : -900));
    const p = prepareUserVolume(readUserFile(writeNifti({ dtype: 'int16', shape: [32, 32, 32], data: hu }), 'ct.nii'), 'ct.nii');
    expect(p.intensity).toBe('hu-window');
    // but HU beyond the range in more voxels than metal explains is refused
    const bad = Int16Array.from({ length: n }, (_, i) => (i % 50 === 0 ? -2500 + (i % 7) : 40));
    bad[0] = -1000;
    expect(() => prepareUserVolume({ dtype: 'int16', shape: [32, 32, 32], data: bad }, 'bad.npy')).toThrow(/bad\.npy: implausible Hounsfield units: [\d.]+% of voxels lie outside −1,100 … \+4,000 HU \(range -2500 … 40\)/);
  });

  it('a 4 × 512 × 512 slab is resampled with a warning naming its factors', () => {
    const data = new Int16Array(4 * 512 * 512).map((_, i) => (i % 5 ? 40 : -1000));
    const p = prepareUserVolume(readUserFile(writeNpy({ dtype: 'int16', shape: [4, 512, 512], data }), 'slab.npy'), 'slab.npy');
    const up = p.warnings.find((w) => w.issue === 'upsampled');
    const an = p.warnings.find((w) => w.issue === 'anisotropic');
    expect(up?.message).toMatch(/^Upsampled 16× along z: the 4 × 512 × 512 volume/);
    expect(an?.message).toMatch(/^Resampled unevenly: 4 × 512 × 512 to 64³ scales the axes by z 16×, y 1\/8, x 1\/8, distorting its proportions 128:1/);
  });

  it('a NIfTI slab with thick slices is judged by its physical proportions', () => {
    const data = new Int16Array(16 * 64 * 64).map((_, i) => (i % 5 ? 40 : -1000));
    // 16 slices of 5 mm over 64 × 64 pixels of 1.25 mm: 80 × 80 × 80 mm, no distortion
    const p = prepareUserVolume(readUserFile(writeNifti({ dtype: 'int16', shape: [16, 64, 64], data }, { pixdim: [1.25, 1.25, 5] }), 'thick.nii'), 'thick.nii');
    expect(p.warnings.map((w) => w.issue)).not.toContain('anisotropic');
    expect(p.warnings.find((w) => w.issue === 'upsampled')?.message).toMatch(/^Upsampled 4× along z/);
  });

  it('a 4³ volume is upsampled 16× with a warning; a 30 × 40 × 50 CT gets none', () => {
    const tiny = prepareUserVolume({ dtype: 'uint8', shape: [4, 4, 4], data: Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256) }, 'tiny.npy');
    expect(tiny.warnings.map((w) => w.issue)).toEqual(['upsampled']);
    expect(tiny.warnings[0].message).toMatch(/^Upsampled 16× along z, y, x: the 4 × 4 × 4 volume/);
    const ok = Int16Array.from({ length: 30 * 40 * 50 }, (_, i) => (i % 3 ? 40 + (i % 40) : -1000));
    expect(prepareUserVolume({ dtype: 'int16', shape: [30, 40, 50], data: ok }, 'ok.npy').warnings).toEqual([]);
  });
});
