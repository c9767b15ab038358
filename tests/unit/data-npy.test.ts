import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError, readNpy, writeNpy, type DType, type NdArray } from '../../src/lib/data/npy';
import { crc32 } from '../../src/lib/data/crc32';
import { listNpz, readNpz, writeNpz } from '../../src/lib/data/npz';
import { datasetFromArrays, parseDataset } from '../../src/lib/data/medmnist';
import { toZip64 } from './zip64';

const fx = (n: string) => new Uint8Array(readFileSync(join(__dirname, '..', 'fixtures', n)));

function sample(dtype: DType, shape: number[]): NdArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => (i * 37) % 200 - (dtype.startsWith('u') || dtype === 'bool' ? 0 : 90));
  let data: NdArray['data'];
  switch (dtype) {
    case 'uint8': data = Uint8Array.from(vals); break;
    case 'bool': data = Uint8Array.from(vals.map((v) => v & 1)); break;
    case 'int8': data = Int8Array.from(vals); break;
    case 'int16': data = Int16Array.from(vals.map((v) => v * 100)); break;
    case 'uint16': data = Uint16Array.from(vals.map((v) => v * 300)); break;
    case 'int32': data = Int32Array.from(vals.map((v) => v * 100000)); break;
    case 'float32': data = Float32Array.from(vals.map((v) => v / 7)); break;
    case 'float64': data = Float64Array.from(vals.map((v) => v / 7)); break;
    case 'int64': data = BigInt64Array.from(vals.map((v) => BigInt(v) * 10000000000n)); break;
  }
  return { dtype, shape, data };
}

const ALL: DType[] = ['uint8', 'int8', 'int16', 'uint16', 'int32', 'float32', 'float64', 'int64', 'bool'];

function expectSame(a: NdArray, b: NdArray) {
  expect(a.dtype).toBe(b.dtype);
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.data as ArrayLike<number>)).toEqual(Array.from(b.data as ArrayLike<number>));
}

function expectErr(fn: () => unknown, re: RegExp, file: string) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataFormatError);
  expect((err as Error).message).toContain(file);
  expect((err as Error).message).toMatch(re);
}

describe('npy', () => {
  for (const dt of ALL) {
    it(`round-trips ${dt}`, () => {
      for (const shape of [[5], [2, 3, 4], [0, 3], []]) {
        const a = sample(dt, shape);
        const bytes = writeNpy(a);
        expect(bytes[6]).toBe(1);
        expect((bytes[8] | (bytes[9] << 8)) + 10).toBe(bytes.length - a.data.byteLength);
        expect((bytes.length - a.data.byteLength) % 64).toBe(0);
        expectSame(readNpy(bytes), a);
      }
    });
  }

  it('reads numpy-written v1 and v2 headers', () => {
    const v1 = readNpy(fx('numpy_f32.npy'), 'numpy_f32.npy');
    const v2 = readNpy(fx('numpy_v2.npy'), 'numpy_v2.npy');
    expect(fx('numpy_v2.npy')[6]).toBe(2);
    expect(v1.shape).toEqual([3, 4]);
    expect(v1.dtype).toBe('float32');
    expect(v1.data[0]).toBeCloseTo(-1.5);
    expect(v1.data[11]).toBeCloseTo(2.5);
    expectSame(v2, v1);
  });

  it('writes a v2 header when the header does not fit 64 KiB', () => {
    const shape = Array.from({ length: 23000 }, () => 1);
    const a: NdArray = { dtype: 'uint8', shape, data: new Uint8Array([7]) };
    const b = writeNpy(a);
    expect(b[6]).toBe(2);
    expectSame(readNpy(b), a);
  });

  it('returns a zero-copy view when aligned and a copy when not', () => {
    const a = sample('float32', [16]);
    const b = writeNpy(a);
    const view = readNpy(b);
    expect(view.data.buffer).toBe(b.buffer);
    const shifted = new Uint8Array(b.length + 1);
    shifted.set(b, 1);
    const copy = readNpy(shifted.subarray(1));
    expect(copy.data.buffer).not.toBe(shifted.buffer);
    expectSame(copy, a);
  });

  it('rejects a wrong magic', () => {
    const b = writeNpy(sample('uint8', [4]));
    b[1] = 0x58;
    expectErr(() => readNpy(b, 'x.npy'), /wrong magic/, 'x.npy');
    expectErr(() => readNpy(new TextEncoder().encode('hello world, not numpy'), 'h.npy'), /not a \.npy/, 'h.npy');
  });

  it('rejects a truncated header', () => {
    const b = writeNpy(sample('uint8', [4]));
    expectErr(() => readNpy(b.subarray(0, 40), 't.npy'), /truncated header/, 't.npy');
    expectErr(() => readNpy(b.subarray(0, 5), 't.npy'), /truncated/, 't.npy');
  });

  it('rejects truncated data with sizes in the message', () => {
    const a: NdArray = { dtype: 'uint8', shape: [3, 64, 64, 64], data: new Uint8Array(3 * 64 ** 3) };
    const b = writeNpy(a);
    expectErr(
      () => readNpy(b.subarray(0, b.length - 1000), 'phantom_64.npz/train_images.npy'),
      /truncated: header says 3×64×64×64 uint8 \(786\.4 kB\) but only 785\.4 kB follow/,
      'phantom_64.npz/train_images.npy',
    );
  });

  it('rejects extra data (shape disagrees with data)', () => {
    const b = writeNpy(sample('int16', [4]));
    const longer = new Uint8Array(b.length + 4);
    longer.set(b);
    expectErr(() => readNpy(longer, 'e.npy'), /shape disagrees/, 'e.npy');
    expect(() => writeNpy({ dtype: 'float32', shape: [3, 3], data: new Float32Array(8) }, 'w.npy')).toThrow(/shape disagrees/);
  });

  it('rejects unsupported dtypes, big-endian and fortran order (numpy-written)', () => {
    expectErr(() => readNpy(fx('numpy_c16.npy'), 'c.npy'), /unsupported dtype '<c16'/, 'c.npy');
    expectErr(() => readNpy(fx('numpy_bigendian.npy'), 'be.npy'), /big-endian/, 'be.npy');
    expectErr(() => readNpy(fx('numpy_fortran.npy'), 'f.npy'), /fortran_order/, 'f.npy');
  });

  it('rejects a malformed header dict', () => {
    const b = writeNpy(sample('uint8', [4]));
    const s = new TextDecoder().decode(b.subarray(10, 120));
    const i = s.indexOf('shape');
    b[10 + i] = 'x'.charCodeAt(0);
    expectErr(() => readNpy(b, 'm.npy'), /malformed/, 'm.npy');
  });
});

describe('npz', () => {
  const arrays = { a: sample('uint8', [2, 3, 4]), b: sample('float32', [7]), c: sample('int64', [3]), d: sample('float64', [2, 2]) };

  for (const compress of [false, true]) {
    for (const zip64 of [false, true]) {
      it(`round-trips (${compress ? 'deflated' : 'stored'}${zip64 ? ', zip64' : ''})`, () => {
        const classic = writeNpz(arrays, { compress });
        const bytes = zip64 ? toZip64(classic) : classic;
        if (zip64) expect(bytes.length).toBeGreaterThan(classic.length);
        const back = readNpz(bytes, 'r.npz');
        expect(Object.keys(back)).toEqual(['a', 'b', 'c', 'd']);
        for (const k of Object.keys(arrays) as (keyof typeof arrays)[]) expectSame(back[k], arrays[k]);
        expect(listNpz(bytes, 'r.npz').every((e) => e.method === (compress ? 8 : 0))).toBe(true);
      });
    }
  }

  it('stored uint8 members are zero-copy views', () => {
    const bytes = writeNpz({ a: sample('uint8', [100]) });
    expect(readNpz(bytes, 'z.npz').a.data.buffer).toBe(bytes.buffer);
  });

  for (const f of ['numpy_savez.npz', 'numpy_savez_compressed.npz']) {
    it(`reads ${f} written by numpy (zip64 local headers)`, () => {
      const r = readNpz(fx(f), f);
      expect(r.train_images.shape).toEqual([2, 3, 3, 3]);
      expect(r.train_images.data[5]).toBe(35);
      expect(r.train_labels.shape).toEqual([2, 1]);
      expect(Array.from(r.train_labels.data as Uint8Array)).toEqual([0, 10]);
      expect(r.f32.data[11]).toBeCloseTo(2.5);
      expect(Array.from(r.i64.data as BigInt64Array)).toEqual([-(2n ** 40n), -1n, 0n, 1n, 2n ** 40n]);
      expect(readNpz(fx(f), f, { keys: ['f32'] })).toHaveProperty('f32');
    });
  }

  it('writes zips that Python zipfile and numpy accept', () => {
    let haveNumpy = true;
    try {
      execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    } catch {
      haveNumpy = false;
    }
    const dir = mkdtempSync(join(tmpdir(), 'npz-'));
    for (const [name, bytes] of [['s.npz', writeNpz(arrays)], ['c.npz', writeNpz(arrays, { compress: true })], ['z.npz', toZip64(writeNpz(arrays, { compress: true }))]] as const) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      const py = haveNumpy
        ? `import numpy as np; d=np.load(${JSON.stringify(p)}); print(d['a'].shape, int(d['a'].sum()), float(d['d'].sum()), int(d['c'][2]))`
        : `import zipfile; z=zipfile.ZipFile(${JSON.stringify(p)}); print(z.testzip())`;
      const out = execFileSync('python3', ['-c', py]).toString().trim();
      if (haveNumpy) {
        const sumA = Array.from(arrays.a.data as Uint8Array).reduce((s, v) => s + v, 0);
        expect(out.startsWith(`(2, 3, 4) ${sumA}`)).toBe(true);
      } else expect(out).toBe('None');
    }
  });

  it('rejects a missing key with the file name', () => {
    const bytes = writeNpz(arrays);
    expectErr(() => readNpz(bytes, 'k.npz', { keys: ['a', 'zzz'] }), /missing key zzz/, 'k.npz');
  });

  it('detects a corrupt CRC', () => {
    const bytes = writeNpz({ a: sample('uint8', [200]) });
    bytes[150] ^= 0xff; // inside the stored data
    expectErr(() => readNpz(bytes, 'crc.npz'), /CRC mismatch/, 'crc.npz/a.npy');
  });

  it('detects corrupt deflate data', () => {
    const bytes = writeNpz({ a: sample('float64', [500]) }, { compress: true });
    for (let i = 40; i < 80; i++) bytes[i] ^= 0x5a;
    expect(() => readNpz(bytes, 'def.npz')).toThrow(DataFormatError);
  });

  it('detects a corrupt central directory', () => {
    const bytes = writeNpz(arrays);
    const cd = listNpz(bytes, 'x').length; // sanity
    expect(cd).toBe(4);
    // find the central directory signature and damage it
    let p = bytes.length - 22;
    const v = new DataView(bytes.buffer);
    const cdOff = v.getUint32(p + 16, true);
    bytes[cdOff] = 0;
    expectErr(() => readNpz(bytes, 'cd.npz'), /central directory entry 0/, 'cd.npz');
    p = 0;
  });

  it('detects a truncated zip and a non-zip', () => {
    const bytes = writeNpz(arrays);
    expectErr(() => readNpz(bytes.subarray(0, bytes.length - 30), 'tr.npz'), /end-of-central-directory|truncated/, 'tr.npz');
    expectErr(() => readNpz(bytes.subarray(0, 10), 'tiny.npz'), /truncated/, 'tiny.npz');
    expectErr(() => readNpz(writeNpy(sample('uint8', [40])), 'npy.npz'), /not a zip/, 'npy.npz');
    // data cut but central directory kept (e.g. a partially copied file padded back): member truncated
    const e = listNpz(bytes, 'x')[0];
    const broken = bytes.slice();
    new DataView(broken.buffer).setUint32(bytes.length - 22 + 16, bytes.length - 22 - 10, true);
    expect(() => readNpz(broken, 'cut.npz')).toThrow(/cut\.npz/);
    expect(e.key).toBe('a');
  });

  it('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('MedMNIST schema validation', () => {
  const S = 4;
  const good = () => ({
    train_images: { dtype: 'uint8', shape: [2, S, S, S], data: new Uint8Array(2 * S ** 3) } as NdArray,
    train_labels: { dtype: 'uint8', shape: [2, 1], data: new Uint8Array([0, 10]) } as NdArray,
    val_images: { dtype: 'uint8', shape: [1, S, S, S], data: new Uint8Array(S ** 3) } as NdArray,
    val_labels: { dtype: 'uint8', shape: [1, 1], data: new Uint8Array([3]) } as NdArray,
    test_images: { dtype: 'uint8', shape: [1, S, S, S], data: new Uint8Array(S ** 3) } as NdArray,
    test_labels: { dtype: 'int64', shape: [1, 1], data: new BigInt64Array([5n]) } as NdArray,
  });
  it('accepts the real schema and parses npz bytes', () => {
    const ds = parseDataset('organmnist3d', S, writeNpz(good()), 'organmnist3d.npz');
    expect(ds.splits.train.count).toBe(2);
    expect(Array.from(ds.splits.test.labels)).toEqual([5]);
  });
  it('rejects missing keys, wrong dtype, wrong shape and bad labels', () => {
    const a = good();
    delete (a as Partial<typeof a>).val_labels;
    expectErr(() => datasetFromArrays('organmnist3d', S, a, 'f.npz'), /missing key val_labels/, 'f.npz');
    const b = good();
    b.train_images = { dtype: 'float32', shape: [2, S, S, S], data: new Float32Array(2 * S ** 3) };
    expectErr(() => datasetFromArrays('organmnist3d', S, b, 'f.npz'), /expected dtype uint8/, 'f.npz/train_images');
    const c = good();
    c.train_images = { dtype: 'uint8', shape: [2, S, S, S + 1], data: new Uint8Array(2 * S * S * (S + 1)) };
    expectErr(() => datasetFromArrays('organmnist3d', S, c, 'f.npz'), /expected shape N×4×4×4/, 'f.npz/train_images');
    const d = good();
    d.train_labels = { dtype: 'uint8', shape: [2, 1], data: new Uint8Array([0, 11]) };
    expectErr(() => datasetFromArrays('organmnist3d', S, d, 'f.npz'), /outside \[0, 11\)/, 'f.npz/train_labels');
    const e = good();
    e.train_labels = { dtype: 'uint8', shape: [3, 1], data: new Uint8Array([0, 1, 2]) };
    expectErr(() => datasetFromArrays('organmnist3d', S, e, 'f.npz'), /expected labels of shape 2×1/, 'f.npz/train_labels');
  });
});
