/**
 * The hostile-input battery (tests/malformed/generate.ts) against the library readers, plus the
 * input checks, model-folder refusals and dataset-file safety. Every case asserts its message and
 * that the reader still works on a good file afterwards.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync, gzipSync } from 'fflate';
import { uploadCases, npzCases, smallNifti, lyingNiftiBomb } from '../malformed/generate';
import { DataFormatError, writeNpy } from '../../src/lib/data/npy';
import { readNpz, writeNpz } from '../../src/lib/data/npz';
import { crc32 as crcOf } from '../../src/lib/data/crc32';
import { readNifti, writeNifti } from '../../src/lib/data/nifti';
import { BoundedGunzip, gunzipLimited, inflateRawLimited } from '../../src/lib/data/inflate';
import { prepareUserVolume, readUserFile, readUserFileStream } from '../../src/lib/data/user-volume';
import { checkInput } from '../../src/lib/data/input-check';
import { cleanStaleTemps, loadDataset, produceDataset } from '../../src/lib/data/store.node.ts';
import { writeTinyDataset } from './cli-helpers';
import { readFile } from 'node:fs/promises';
import { loadModel, modelFromArtifacts } from '../../src/lib/model/io';
import { loadModelDir } from '../../scripts/lib/model-dir';

const good = () => readUserFile(smallNifti(), 'good.nii');

describe('upload formats: every malformed file gets its message, and the reader still works', () => {
  for (const c of uploadCases()) {
    it(`${c.id}: ${c.what}`, () => {
      let err: unknown;
      try {
        readUserFile(c.bytes, c.name);
      } catch (e) {
        err = e;
      }
      expect(err, `${c.id} was accepted`).toBeInstanceOf(DataFormatError);
      expect((err as Error).message).toMatch(c.expect);
      expect((err as Error).message.startsWith(`${c.name}: `)).toBe(true);
      // the bomb is stopped within one 16 kB input slice (≤ ~17 MB of output) of its declared size, not at 64 MB
      const stopped = /stopped at ([\d.]+) MB/.exec((err as Error).message);
      if (stopped) expect(Number(stopped[1])).toBeLessThan(20);
      expect(good().shape).toEqual([8, 8, 8]);
    });
  }

  it('the streamed reader (what the upload worker runs) gives the same messages, chunk by chunk', async () => {
    for (const c of uploadCases()) {
      async function* chunks() {
        for (let p = 0; p < c.bytes.length; p += 1000) yield c.bytes.subarray(p, p + 1000);
      }
      const n = c.bytes.length;
      const isize = n >= 18 ? new DataView(c.bytes.buffer, c.bytes.byteOffset + n - 4).getUint32(0, true) : 0;
      await expect(readUserFileStream(c.name, n, c.bytes.subarray(0, 16), chunks(), isize), c.id).rejects.toThrow(c.expect);
    }
  });

  it('the lying bomb stops at the declared size, long before the 64 MB it would inflate to', () => {
    const bomb = lyingNiftiBomb(64);
    const g = new BoundedGunzip('bomb.nii.gz', 256 << 20, 864, (head) => (head.length >= 348 ? 864 : null));
    expect(() => {
      for (let p = 0; p < bomb.length; p += 4096) g.push(bomb.subarray(p, p + 4096));
    }).toThrow(/holds more than the 864 B its header declares/);
    expect(g.outputBytes).toBeLessThan(20 << 20); // one 16 kB input slice inflates to at most ~17 MB
  });

  it('a gzip beyond the size limit is aborted at the limit', () => {
    const zeros = gzipSync(new Uint8Array(8 << 20), { level: 9 });
    expect(() => gunzipLimited(zeros, 'z.gz', 1 << 20)).toThrow(/z\.gz: too large: inflates to more than 1\.0 MB \(limit/);
    expect(gunzipLimited(zeros, 'z.gz', 8 << 20).length).toBe(8 << 20);
  });

  it('valid files in every layout still read: .nii, .nii.gz (FNAME header), big-endian, scaled', () => {
    const nii = smallNifti();
    const named = gzipSync(nii, { filename: 'vol.nii', mtime: 0 });
    expect(readNifti(named, 'named.nii.gz').shape).toEqual([8, 8, 8]);
    const be = writeNifti({ dtype: 'int16', shape: [4, 5, 6], data: new Int16Array(120).fill(-7) }, { littleEndian: false, slope: 2, inter: 1 });
    expect(Array.from(readNifti(gzipSync(be), 'be.nii.gz').data.slice(0, 2) as Float32Array)).toEqual([-13, -13]);
    const old = writeNifti({ dtype: 'uint8', shape: [8, 8, 8], data: new Uint8Array(512).fill(3) });
    new DataView(old.buffer).setFloat32(108, 0, true); // vox_offset 0: old writers; the data follow the 352-byte header
    expect((readNifti(old, 'old.nii').data as Uint8Array)[0]).toBe(3);
  });
});

describe('npz: members are capped and named, unneeded members ignored', () => {
  for (const c of npzCases()) {
    it(`${c.id}: ${c.what}`, () => {
      const read = () => readNpz(c.bytes, c.name, { keys: c.keys, maxMemberBytes: c.maxMemberBytes });
      expect(read).toThrow(DataFormatError);
      expect(read).toThrow(c.expect);
      expect(readNpz(writeNpz({ a: { dtype: 'uint8', shape: [2], data: new Uint8Array([1, 2]) } }), 'ok.npz').a.shape).toEqual([2]);
    });
  }

  it('a dataset npz with a README and a float16 member reads: only the needed members are parsed', () => {
    const dir = writeTinyDataset({ size: 28, counts: [11, 11, 11] });
    const file = path.join(dir, 'phantom_28.npz');
    const arrays = readNpz(new Uint8Array(readFileSync(file)), file);
    // a README (not an array) and a float16 array (a dtype this code does not read) beside the splits
    const members = Object.fromEntries(Object.entries(arrays).map(([k, v]) => [`${k}.npy`, writeNpy(v)]));
    writeFileSync(file, rawZip({ ...members, 'README.txt': new TextEncoder().encode('hello'), 'half.npy': npyF16() }));
    expect(() => readNpz(new Uint8Array(readFileSync(file)), file, { keys: ['half'] })).toThrow(/half\.npy: unsupported dtype '<f2'/);
    return loadDataset('phantom', 28, { dir, fetchIfMissing: false }).then((ds) => {
      expect(ds.splits.train.count).toBe(11);
    });
  });
});

/** A float16 .npy (numpy '<f2'), which this code does not read. */
function npyF16(): Uint8Array {
  const dict = "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }".padEnd(117, ' ') + '\n';
  const b = new Uint8Array(10 + dict.length + 6);
  b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length, 0], 0);
  for (let i = 0; i < dict.length; i++) b[10 + i] = dict.charCodeAt(i);
  return b;
}

/** A stored zip of raw members (any names), as any zip tool writes. */
function rawZip(members: Record<string, Uint8Array>): Uint8Array {
  // writeNpz only writes .npy members from arrays; build the zip by hand with the same layout
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const [name, data] of Object.entries(members)) {
    const nb = enc.encode(name);
    const crc = crcOf(data);
    const lh = new Uint8Array(30 + nb.length);
    const lv = new DataView(lh.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nb.length, true);
    lh.set(nb, 30);
    const ch = new Uint8Array(46 + nb.length);
    const cv = new DataView(ch.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nb.length, true);
    cv.setUint32(42, off, true);
    ch.set(nb, 46);
    parts.push(lh, data);
    central.push(ch);
    off += lh.length + data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, central.length, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, off, true);
  const all = [...parts, ...central, eocd];
  const out = new Uint8Array(all.reduce((s, c) => s + c.length, 0));
  let p = 0;
  for (const c of all) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}


describe('inflateRawLimited', () => {
  it('refuses a declared size over the cap before inflating, and a stream longer than declared', () => {
    const raw = deflateSync(new Uint8Array(1000));
    expect(() => inflateRawLimited(raw, 'a.npz/x.npy', { expected: 1000, max: 999 })).toThrow(/declares 1\.0 kB uncompressed \(limit 999 B\)/);
    expect(() => inflateRawLimited(raw, 'a.npz/x.npy', { expected: 10, max: 1e6 })).toThrow(/inflates to more than the 10 B it declares/);
    expect(() => inflateRawLimited(raw, 'a.npz/x.npy', { expected: 2000, max: 1e6 })).toThrow(/inflates to 1000 bytes but declares 2000/);
    expect(inflateRawLimited(raw, 'a.npz/x.npy', { expected: 1000, max: 1000 }).length).toBe(1000);
  });
});

describe('input checks beside the prediction', () => {
  const S = 16;
  it('flags a blank volume, a constant one, one with no tissue in the CT window, and a nearly uniform one', () => {
    const blank = prepareUserVolume({ dtype: 'uint8', shape: [S, S, S], data: new Uint8Array(S ** 3) }, 'blank.npy', S);
    expect(blank.warnings.map((w) => w.issue)).toEqual(['constant']);
    expect(blank.warnings[0].message).toMatch(/Blank input: every voxel has the same value/);
    const constant = prepareUserVolume({ dtype: 'float32', shape: [S, S, S], data: new Float32Array(S ** 3).fill(7) }, 'c.npy', S);
    expect(constant.warnings.map((w) => w.issue)).toEqual(['constant']);
    // air and bone only: HU, but nothing between −160 and 240
    const air = Int16Array.from({ length: S ** 3 }, (_, i) => (i % 3 ? -1000 : 1200));
    const noTissue = prepareUserVolume({ dtype: 'int16', shape: [S, S, S], data: air }, 'air.nii', S);
    expect(noTissue.intensity).toBe('hu-window');
    expect(noTissue.warnings.map((w) => w.issue)).toEqual(['no-tissue-in-window', 'saturated']);
    expect(noTissue.warnings[0].message).toMatch(/No tissue in the CT window: only 0\.0% of voxels lie between −160 and 240 HU/);
    const flat = Uint8Array.from({ length: S ** 3 }, (_, i) => 120 + (i % 3));
    expect(checkInput(prepareUserVolume({ dtype: 'uint8', shape: [S, S, S], data: flat }, 'f.npy', S).volume).map((w) => w.issue)).toEqual(['low-contrast']);
  });

  it('says nothing about a shipped test volume (real organ crops)', () => {
    const index = JSON.parse(readFileSync('public/volumes/index.json', 'utf8')) as { volumes: { file: string }[] };
    for (const v of index.volumes.slice(0, 6)) {
      const img = readNpz(new Uint8Array(readFileSync(path.join('public/volumes', v.file))), v.file, { keys: ['image'] }).image;
      expect(prepareUserVolume(img, v.file, 64).warnings, v.file).toEqual([]);
    }
  });

  it('a uint8 volume at the model size is used as is; an HU volume is windowed and resized', () => {
    const u = prepareUserVolume({ dtype: 'uint8', shape: [S, S, S], data: Uint8Array.from({ length: S ** 3 }, (_, i) => i % 256) }, 'u.npy', S);
    expect(u.description).toMatch(/uint8 used at its size \(16³\); uint8 values used as is/);
    const hu = Int16Array.from({ length: 8 * 10 * 12 }, (_, i) => (i % 2 ? -1000 : 60));
    expect(prepareUserVolume({ dtype: 'int16', shape: [8, 10, 12], data: hu }, 'h.nii', S).description).toMatch(/8 × 10 × 12 int16 resampled to 16³ \(trilinear\); values look like Hounsfield units .*W400\/L40/);
  });
});

describe('dataset files: nothing valid is deleted, stale temp files cleaned, a damaged file says how to fix it', () => {
  it('removes *.tmp-PID-TIME files of dead processes and keeps a live process’s', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scorecam-tmp-'));
    const dead = path.join(dir, 'phantom_64.npz.tmp-999999999-1700000000000');
    const live = path.join(dir, `phantom_64.npz.tmp-${process.ppid}-1700000000000`);
    writeFileSync(dead, 'x');
    writeFileSync(live, 'x');
    expect(cleanStaleTemps(dir)).toEqual([dead]);
    expect(existsSync(live)).toBe(true);
  });

  it('a failed or corrupt download (with --force) leaves the valid file in place', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scorecam-dl-'));
    const dest = path.join(dir, 'organmnist3d.npz');
    writeFileSync(dest, 'the valid file');
    const offline = (() => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } }))) as typeof fetch;
    await expect(produceDataset('organmnist3d', 28, { dir, fetchImpl: offline })).rejects.toThrow(/could not reach zenodo\.org: ENOTFOUND.*The existing .*organmnist3d\.npz was left as it was/);
    expect(readFileSync(dest, 'utf8')).toBe('the valid file');
    const wrong = (async () => new Response(new Uint8Array([1, 2, 3]), { status: 200 })) as typeof fetch;
    await expect(produceDataset('organmnist3d', 28, { dir, fetchImpl: wrong })).rejects.toThrow(/checksum mismatch for organmnist3d\.npz.*left as it was/);
    expect(readFileSync(dest, 'utf8')).toBe('the valid file');
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('a corrupt dataset file names the command that makes it again', async () => {
    const dir = writeTinyDataset({ size: 28, counts: [11, 11, 11] });
    const file = path.join(dir, 'phantom_28.npz');
    const b = readFileSync(file);
    writeFileSync(file, b.subarray(0, b.length - 100));
    await expect(loadDataset('phantom', 28, { dir, fetchIfMissing: false })).rejects.toThrow(
      new RegExp(`damaged or is not a valid phantom 28³ dataset; regenerate it with: npm run data -- --dataset phantom --size 28 --data ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --force`),
    );
  });
});

describe('model folders: unverified weights are refused, not run', () => {
  const shipped = 'public/models/resnet10-phantom64';
  const copy = (skip: string[] = []) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scorecam-model-'));
    for (const f of ['manifest.json', 'model.json', 'weights.bin']) if (!skip.includes(f)) writeFileSync(path.join(dir, f), readFileSync(path.join(shipped, f)));
    return dir;
  };
  it('a folder without manifest.json', async () => {
    const dir = copy(['manifest.json']);
    await expect(loadModelDir(dir)).rejects.toThrow(/has no manifest\.json, so nothing vouches for its weights; refusing to run it/);
    await expect(loadModel(async (f) => new Uint8Array(readFileSync(path.join(dir, f))), dir)).rejects.toThrow(/manifest\.json: could not be read/);
  });
  it('weights that fail the byte count or the checksum', async () => {
    const dir = copy();
    const w = readFileSync(path.join(dir, 'weights.bin'));
    writeFileSync(path.join(dir, 'weights.bin'), w.subarray(0, w.length - 2));
    await expect(loadModelDir(dir)).rejects.toThrow(/weights\.bin does not match manifest\.json/);
    const flipped = Buffer.from(w);
    flipped[1000] ^= 0xff;
    writeFileSync(path.join(dir, 'weights.bin'), flipped);
    await expect(loadModelDir(dir)).rejects.toThrow(/weights\.bin does not match manifest\.json/);
    const bytes = await readFile(path.join(dir, 'weights.bin'));
    expect(() => modelFromArtifacts(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')), new Uint8Array(bytes.subarray(0, bytes.length - 2)), dir)).toThrow(
      `${dir}/weights.bin: ${bytes.length - 2} bytes, model.json describes ${bytes.length}`,
    );
  });
});
