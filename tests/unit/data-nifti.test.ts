import { describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import { readNifti, writeNifti } from '../../src/lib/data/nifti';
import { prepareUserVolume, readUserFile } from '../../src/lib/data/user-volume';
import { DataFormatError, writeNpy } from '../../src/lib/data/npy';

function ramp(n: number, f = (i: number) => i): Int16Array {
  const a = new Int16Array(n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}

describe('readNifti', () => {
  const shape = [3, 4, 5]; // nz, ny, nx
  const data = ramp(60, (i) => i - 30);

  it('reads little-endian int16 as [nz, ny, nx] C order', () => {
    const v = readNifti(writeNifti({ dtype: 'int16', shape, data }), 'a.nii');
    expect(v.shape).toEqual([3, 4, 5]);
    expect(v.dtype).toBe('int16');
    expect(Array.from(v.data as Int16Array)).toEqual(Array.from(data));
    expect(v.littleEndian).toBe(true);
  });

  it('reads big-endian files', () => {
    const v = readNifti(writeNifti({ dtype: 'int16', shape, data }, { littleEndian: false }), 'b.nii');
    expect(v.littleEndian).toBe(false);
    expect(Array.from(v.data as Int16Array)).toEqual(Array.from(data));
    const f = Float32Array.from(data, (x) => x / 7);
    const vf = readNifti(writeNifti({ dtype: 'float32', shape, data: f }, { littleEndian: false }), 'bf.nii');
    expect(Array.from(vf.data as Float32Array)).toEqual(Array.from(f));
  });

  it('reads .nii.gz', () => {
    const v = readNifti(gzipSync(writeNifti({ dtype: 'uint16', shape, data: ramp(60) })), 'c.nii.gz');
    expect(v.dtype).toBe('uint16');
    expect((v.data as Uint16Array)[59]).toBe(59);
  });

  it('applies scl_slope / scl_inter', () => {
    const v = readNifti(writeNifti({ dtype: 'int16', shape, data }, { slope: 2, inter: -1024 }), 'd.nii');
    expect(v.dtype).toBe('float32');
    expect((v.data as Float32Array)[0]).toBe(-30 * 2 - 1024);
  });

  it.each(['uint8', 'int32', 'float64'] as const)('reads %s', (dtype) => {
    const v = readNifti(writeNifti({ dtype, shape, data: ramp(60) }), 'e.nii');
    expect(v.dtype).toBe(dtype);
    expect(Number((v.data as ArrayLike<number>)[42])).toBe(42);
  });

  it('accepts 4-D with one time point', () => {
    const v = readNifti(writeNifti({ dtype: 'uint8', shape: [1, 3, 4, 5], data: ramp(60) }), 'f.nii');
    expect(v.shape).toEqual([3, 4, 5]);
  });

  const err = (fn: () => unknown, re: RegExp) => {
    expect(fn).toThrow(DataFormatError);
    expect(fn).toThrow(re);
  };

  it('rejects bad magic, garbage and short files', () => {
    const b = writeNifti({ dtype: 'int16', shape, data });
    b[344] = 0x78;
    err(() => readNifti(b, 'g.nii'), /bad NIfTI magic/);
    err(() => readNifti(new Uint8Array(400).fill(7), 'h.nii'), /not a NIfTI-1 file/);
    err(() => readNifti(new Uint8Array(10), 'i.nii'), /shorter than the 348-byte/);
  });

  it('rejects truncated data', () => {
    const b = writeNifti({ dtype: 'int16', shape, data });
    err(() => readNifti(b.subarray(0, b.length - 10), 'j.nii'), /truncated/);
  });

  it('rejects 2-D images and 4-D series', () => {
    err(() => readNifti(writeNifti({ dtype: 'uint8', shape: [4, 5], data: ramp(20) }), 'k.nii'), /2-D.*3-D volume is needed/);
    err(() => readNifti(writeNifti({ dtype: 'uint8', shape: [2, 3, 4, 5], data: ramp(120) }), 'l.nii'), /only 3-D volumes/);
  });

  it('rejects unsupported datatypes', () => {
    const b = writeNifti({ dtype: 'uint8', shape, data: ramp(60) });
    new DataView(b.buffer).setInt16(70, 32, true); // complex64
    err(() => readNifti(b, 'm.nii'), /unsupported NIfTI datatype complex64/);
  });

  it('rejects volumes over the limits (voxels and gzip size) before reading them', () => {
    const b = writeNifti({ dtype: 'uint8', shape: [8, 8, 8], data: ramp(512) });
    err(() => readNifti(b, 'n.nii', { maxVoxels: 100 }), /too large: 8 × 8 × 8/);
    err(() => readNifti(gzipSync(b), 'o.nii.gz', { maxBytes: 100 }), /too large/);
    err(() => readNifti(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]), 'p.nii.gz'), /truncated|corrupt gzip|too large/);
  });
});

describe('prepareUserVolume', () => {
  it('windows HU-looking int16 data and resamples to 64³', () => {
    const shape = [30, 50, 40];
    const n = 30 * 50 * 40;
    const hu = ramp(n, (i) => (i % 2 ? -1000 : 40));
    const arr = readUserFile(gzipSync(writeNifti({ dtype: 'int16', shape, data: hu })), 'ct.nii.gz');
    const p = prepareUserVolume(arr, 'ct.nii.gz');
    expect(p.volume.length).toBe(64 ** 3);
    expect(p.intensity).toBe('hu-window');
    expect(p.sourceShape).toEqual([30, 50, 40]);
    let lo = 1, hi = 0;
    for (const v of p.volume) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(p.description).toMatch(/W400\/L40/);
  });

  it('scales uint8 by 1/255 and min-maxes other data', () => {
    const u = prepareUserVolume({ dtype: 'uint8', shape: [64, 64, 64], data: new Uint8Array(64 ** 3).fill(255) });
    expect(u.intensity).toBe('unit8');
    expect(u.volume[0]).toBeCloseTo(1);
    const f = prepareUserVolume({ dtype: 'float32', shape: [1, 8, 8, 8], data: Float32Array.from({ length: 512 }, (_, i) => i) });
    expect(f.intensity).toBe('minmax');
  });

  it('rejects 2-D arrays, int64, too-small edges, all-NaN', () => {
    const npy2d = writeNpy({ dtype: 'float32', shape: [64, 64], data: new Float32Array(4096) });
    expect(() => prepareUserVolume(readUserFile(npy2d, 'flat.npy'), 'flat.npy')).toThrow(/3-D volume is needed/);
    expect(() => prepareUserVolume({ dtype: 'int64', shape: [8, 8, 8], data: new BigInt64Array(512) })).toThrow(/unsupported dtype int64/);
    expect(() => prepareUserVolume({ dtype: 'uint8', shape: [2, 64, 64], data: new Uint8Array(8192) })).toThrow(/at least 4/);
    expect(() => prepareUserVolume({ dtype: 'float32', shape: [8, 8, 8], data: new Float32Array(512).fill(NaN) })).toThrow(/no finite values/);
  });

  it('rejects garbage bytes and empty files with a clear message', () => {
    expect(() => readUserFile(new Uint8Array([1, 2, 3, 4, 5]), 'junk.bin')).toThrow(/not a supported volume/);
    expect(() => readUserFile(new Uint8Array(1000).fill(9), 'junk.npy')).toThrow(DataFormatError);
    expect(() => readUserFile(new Uint8Array(0), 'empty.nii')).toThrow(/empty/);
  });
});
