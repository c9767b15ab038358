/**
 * Dataset npz readers parse only the members they need: a file that also holds a float16 array or
 * a pickled object array (dtypes this project does not read, numpy reads them) is not refused, as
 * numpy's `np.load(f)['train_images']` would not refuse it; a needed member of such a dtype is.
 * Plus the explorer's messages for a link that names no shipped volume.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from '../../src/lib/data/crc32';
import { writeNpy } from '../../src/lib/data/npy';
import { readNpz } from '../../src/lib/data/npz';
import { parseDataset, DATASET_KEYS } from '../../src/lib/data/medmnist';
import { parseShippedIndex, parseShippedVolume } from '../../src/lib/data/shipped';
import { writeTinyDataset } from './cli-helpers';
import { ownFileLinkMessage, unknownVolumeMessage, MAX_LISTED_IDS } from '../../src/lib/site/volume-link';

/** An .npy header with any descr and no data check (float16 data, or a pickle for '|O'). */
function npyRaw(descr: string, shape: string, body: Uint8Array): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(117, ' ') + '\n';
  const b = new Uint8Array(10 + dict.length + body.length);
  b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length, 0], 0);
  for (let i = 0; i < dict.length; i++) b[10 + i] = dict.charCodeAt(i);
  b.set(body, 10 + dict.length);
  return b;
}

/** A stored zip of raw members (as numpy's savez writes them). */
function zip(members: Record<string, Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let off = 0;
  for (const [name, data] of Object.entries(members)) {
    const nb = enc.encode(name);
    const crc = crc32(data);
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

const half = npyRaw('<f2', '(3,)', new Uint8Array(6));
// a pickled object array, as np.savez writes a list of strings (pickle protocol 2 bytes; never unpickled here)
const pickled = npyRaw('|O', '(2,)', Uint8Array.from([0x80, 0x02, 0x5d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61, 0x58, 0x01, 0x00, 0x00, 0x00, 0x62, 0x65, 0x2e]));

describe('dataset npz readers ignore members they do not need', () => {
  const dir = writeTinyDataset({ size: 28, counts: [11, 11, 11] });
  const arrays = readNpz(new Uint8Array(readFileSync(path.join(dir, 'phantom_28.npz'))), 'phantom_28.npz');
  const members = Object.fromEntries(DATASET_KEYS.map((k) => [`${k}.npy`, writeNpy(arrays[k])]));

  it('a dataset npz with an extra float16 and an extra object-dtype member reads; asking for them is refused by name', () => {
    const file = zip({ ...members, 'spacing.npy': half, 'names.npy': pickled, 'README.txt': new TextEncoder().encode('notes') });
    const ds = parseDataset('phantom', 28, file, 'extra.npz');
    expect(ds.splits.train.count).toBe(11);
    expect(ds.splits.test.labels.length).toBe(11);
    expect(() => readNpz(file, 'extra.npz', { keys: ['spacing'] })).toThrow(/extra\.npz\/spacing\.npy: unsupported dtype '<f2'/);
    expect(() => readNpz(file, 'extra.npz', { keys: ['names'] })).toThrow(/extra\.npz\/names\.npy: unsupported dtype '\|O'/);
  });

  it('a needed member of an unreadable dtype is refused with its name', () => {
    const file = zip({ ...members, 'train_labels.npy': npyRaw('<f2', '(11, 1)', new Uint8Array(22)) });
    expect(() => parseDataset('phantom', 28, file, 'bad.npz')).toThrow(/bad\.npz\/train_labels\.npy: unsupported dtype '<f2'/);
  });

  it("a shipped volume's npz with an extra member reads", () => {
    const index = parseShippedIndex(JSON.parse(readFileSync('public/volumes/index.json', 'utf8')), 'index.json');
    const e = index.volumes[0];
    const a = readNpz(new Uint8Array(readFileSync(path.join('public/volumes', e.file))), e.file);
    const file = zip({ ...Object.fromEntries(Object.entries(a).map(([k, v]) => [`${k}.npy`, writeNpy(v)])), 'meta.npy': pickled });
    expect(parseShippedVolume(file, e, index.dataset.size).image.length).toBe(index.dataset.size ** 3);
  });
});

describe('explorer links that name no shipped volume', () => {
  it('an unknown ?volume= id is named with the available ones and what is shown instead', () => {
    const ids = ['test-0000', 'test-0001', 'test-0007'];
    expect(unknownVolumeMessage('test-9999', ids, 'test-0000')).toBe(
      'There is no shipped test volume “test-9999”, so the explorer shows test-0000 instead. The 3 available are: test-0000, test-0001, test-0007.',
    );
    const many = Array.from({ length: MAX_LISTED_IDS + 5 }, (_, i) => `v${i}`);
    expect(unknownVolumeMessage('x', many, 'v0')).toMatch(new RegExp(`v${MAX_LISTED_IDS - 1} and 5 more\\.$`));
  });
  it("a link made while a reader's own file was open says the file cannot be reopened from it", () => {
    const m = ownFileLinkMessage('test-0000');
    expect(m).toMatch(/own file was open; the file never left that browser, so a link cannot reopen it.*shows the shipped test volume test-0000 instead/);
  });
});
