/**
 * One orientation everywhere: the explorer's slice renderer, the static snapshot and the dataset
 * montage all draw the same slice the same way round (radiological convention, orient.ts).
 */
import { describe, expect, it } from 'vitest';
import { pixelToPos, posToPixel, sliceOf, sliceVoxel, VIEWS, type Pos } from '../../src/lib/viz/orient';
import { renderSlice } from '../../src/lib/viz/slice-view';
import { renderSnapshot } from '../../src/lib/viz/snapshot';
import { montage } from '../../src/lib/viz/montage';
import { NUM_CLASSES } from '../../src/lib/data/labels';

const S = 16;
/** Every voxel distinct: value encodes (z, y, x), so any flip or transpose shows. */
function coded(): Uint8Array {
  const v = new Uint8Array(S ** 3);
  for (let z = 0; z < S; z++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) v[(z * S + y) * S + x] = (z * 7 + y * 3 + x * 11) % 251;
  return v;
}

describe('orientation (phantom frame: z = 0 superior, y = 0 anterior, +x patient left)', () => {
  it('puts superior at the top of coronal and sagittal, anterior at the top of axial, patient right on the image left', () => {
    // coronal / sagittal row 0 is z = 0 (superior); axial row 0 is y = 0 (anterior); column 0 is x = 0 (patient right)
    expect(sliceVoxel('coronal', 5, 0, 3, S)).toBe((0 * S + 5) * S + 3);
    expect(sliceVoxel('sagittal', 5, 0, 3, S)).toBe((0 * S + 3) * S + 5);
    expect(sliceVoxel('axial', 5, 0, 0, S)).toBe((5 * S + 0) * S + 0);
  });
  it('maps clicks and crosshairs back to the same position', () => {
    const pos: Pos = [3, 9, 12];
    for (const v of VIEWS) {
      const { row, col } = posToPixel(v, pos);
      expect(pixelToPos(v, pos, row, col, S)).toEqual(pos);
    }
  });
});

describe('explorer, snapshot and montage agree pixel for pixel', () => {
  const ct = coded();
  const ctUnit = Float32Array.from(ct, (v) => v / 255);
  it('explorer slice (CT only) = snapshot top row panel', () => {
    const cam = new Float32Array(S ** 3);
    cam[(4 * S + 10) * S + 12] = 1; // the snapshot slices through the CAM maximum
    const pos: Pos = [4, 10, 12];
    const { image } = renderSnapshot(ct, cam, null, S, { scale: 1, gap: 0, mip: false });
    VIEWS.forEach((view, k) => {
      const mine = renderSlice({ size: S, ct: ctUnit, cam: null, mask: null, threshold: 0, opacity: 0, showCam: false, showMask: false }, view, pos);
      for (let r = 0; r < S; r++)
        for (let c = 0; c < S; c++) {
          const a = (r * S + c) * 4;
          const b = (r * image.width + k * S + c) * 4;
          expect([mine.rgba[a], mine.rgba[a + 1], mine.rgba[a + 2]], `${view} (${r}, ${c})`).toEqual([image.rgba[b], image.rgba[b + 1], image.rgba[b + 2]]);
        }
    });
  });
  it('montage cells = sliceOf through the middle', () => {
    const n = NUM_CLASSES;
    const data = new Uint8Array(n * S ** 3);
    for (let i = 0; i < n; i++) data.set(ct, i * S ** 3);
    const split = { images: { dtype: 'uint8' as const, shape: [n, S, S, S], data }, labels: Int32Array.from({ length: n }, (_, i) => i), count: n };
    const gap = 2;
    const m = montage(split, { rows: 1, gap, views: ['axial', 'coronal', 'sagittal'], outline: false });
    const mid = S >> 1;
    ['axial', 'coronal', 'sagittal'].forEach((view, vi) => {
      const ref = sliceOf(ct, S, view as 'axial', mid);
      const ox = gap, oy = gap * 2 + vi * (S + gap);
      for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) expect(m.rgba[((oy + r) * m.width + ox + c) * 4], `${view} (${r}, ${c})`).toBe(ref[r * S + c]);
    });
  });
});

import { isosurfaces } from '../../src/lib/viz/isosurface';
describe('isosurfaces (marching tetrahedra)', () => {
  it('puts the vertices of a sphere on the sphere, one level per vertex', () => {
    const n = 16, r = 5;
    const v = new Float32Array(n ** 3);
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) v[(z * n + y) * n + x] = r - Math.hypot(x - 7.5, y - 7.5, z - 7.5);
    const m = isosurfaces(v, n, [0], 1);
    expect(m.i.length).toBeGreaterThan(100);
    for (let t = 0; t < m.x.length; t++) expect(Math.abs(Math.hypot(m.x[t] - 8, m.y[t] - 8, m.z[t] - 8) - r)).toBeLessThan(0.25);
    expect(new Set(m.intensity)).toEqual(new Set([0]));
    expect(isosurfaces(v, n, [100]).x.length).toBe(0);
  });
});

import { maskCentre } from '../../src/lib/viz/orient';
describe('maskCentre', () => {
  it('finds the centre of a box and returns null for an empty mask', () => {
    const S = 8, m = new Uint8Array(S ** 3);
    for (let z = 1; z <= 3; z++) for (let y = 4; y <= 6; y++) for (let x = 0; x <= 2; x++) m[(z * S + y) * S + x] = 1;
    expect(maskCentre(m, S)).toEqual([2, 5, 1]);
    expect(maskCentre(new Uint8Array(S ** 3), S)).toBeNull();
  });
});
