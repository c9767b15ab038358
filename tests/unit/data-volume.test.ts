import { describe, expect, it } from 'vitest';
import { gaussianBlur3d, normalize, resizeTrilinear, toUint8, windowHU, standardize } from '../../src/lib/data/volume';
import { encodePng } from '../../src/lib/viz/png';
import { inflateSync } from 'fflate';
import { directTrilinear } from './trilinear-reference';

describe('resizeTrilinear', () => {
  it('matches the half-pixel (align_corners=False) formula', () => {
    const [d, h, w] = [3, 4, 5];
    const src = Float32Array.from({ length: d * h * w }, (_, i) => Math.sin(i * 1.7) * 10);
    const [D, H, W] = [5, 7, 3];
    const out = resizeTrilinear(src, [d, h, w], [D, H, W]);
    const ref = directTrilinear(src, [d, h, w], [D, H, W]);
    for (let i = 0; i < ref.length; i++) expect(out[i]).toBeCloseTo(ref[i], 4);
  });
  it('is the identity at the same size and preserves linear ramps inside', () => {
    const src = Float32Array.from({ length: 4 * 4 * 4 }, (_, i) => i);
    expect(Array.from(resizeTrilinear(src, [4, 4, 4], [4, 4, 4]))).toEqual(Array.from(src));
    const ramp = Float32Array.from({ length: 8 }, (_, i) => i);
    const up = resizeTrilinear(ramp, [1, 1, 8], [1, 1, 16]);
    expect(up[5] - up[4]).toBeCloseTo(0.5);
    const ac = resizeTrilinear(ramp, [1, 1, 8], [1, 1, 15], { alignCorners: true });
    expect(ac[0]).toBe(0);
    expect(ac[14]).toBeCloseTo(7);
  });
  it('accepts uint8 input', () => {
    const u = new Uint8Array(27).fill(200);
    expect(Array.from(resizeTrilinear(u, [3, 3, 3], [2, 2, 2]))).toEqual(new Array(8).fill(200));
  });
});

describe('gaussianBlur3d', () => {
  it('preserves a constant volume and total mass', () => {
    const shape: [number, number, number] = [9, 10, 11];
    const c = new Float32Array(990).fill(3.5);
    for (const v of gaussianBlur3d(c, shape, 1.2)) expect(v).toBeCloseTo(3.5, 4);
    const imp = new Float32Array(990);
    imp[0] = 100; // corner: tests the reflect boundary
    imp[500] = 50;
    const b = gaussianBlur3d(imp, shape, [0.8, 1.5, 2]);
    expect(b.reduce((s, v) => s + v, 0)).toBeCloseTo(150, 2);
    expect(b[500]).toBeLessThan(50);
    expect(b[501]).toBeGreaterThan(0);
  });
  it('is symmetric around an impulse', () => {
    const imp = new Float32Array(11 * 11 * 11);
    imp[(5 * 11 + 5) * 11 + 5] = 1;
    const b = gaussianBlur3d(imp, [11, 11, 11], 1);
    expect(b[(5 * 11 + 5) * 11 + 4]).toBeCloseTo(b[(5 * 11 + 5) * 11 + 6], 6);
    expect(b[(4 * 11 + 5) * 11 + 5]).toBeCloseTo(b[(5 * 11 + 4) * 11 + 5], 6);
  });
});

describe('normalisation', () => {
  it('normalize/standardize/toUint8/windowHU', () => {
    expect(Array.from(normalize([2, 4, 6]))).toEqual([0, 0.5, 1]);
    const s = standardize([1, 2, 3]);
    expect(s[0]).toBeCloseTo(-1.2247, 3);
    expect(Array.from(toUint8([-1, 0, 0.5, 1, 2]))).toEqual([0, 0, 128, 255, 255]);
    // abdominal window L40 W400: -160 → 0, 240 → 255, -1000 → 0, 41 → 128
    expect(Array.from(windowHU([-1000, -160, 41, 240, 1000]))).toEqual([0, 0, 128, 255, 255]);
  });
});

describe('encodePng', () => {
  it('writes a valid PNG (signature, IHDR, IDAT inflates to filtered rows)', () => {
    const rgba = new Uint8Array(3 * 2 * 4).map((_, i) => i * 10);
    const png = encodePng(3, 2, rgba);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const v = new DataView(png.buffer);
    expect(v.getUint32(16)).toBe(3);
    expect(v.getUint32(20)).toBe(2);
    expect(png[25]).toBe(6);
    const idatLen = v.getUint32(33);
    const zl = png.subarray(41, 41 + idatLen);
    const inflated = inflateSync(zl.subarray(2, zl.length - 4));
    expect(inflated.length).toBe(2 * (3 * 4 + 1));
    expect(Array.from(inflated.subarray(1, 13))).toEqual(Array.from(rgba.subarray(0, 12)));
    const gray = encodePng(2, 2, new Uint8Array([0, 64, 128, 255]), 1);
    expect(gray[25]).toBe(0);
    expect(() => encodePng(2, 2, new Uint8Array(3), 1)).toThrow(/expected 4 bytes/);
  });
});
