import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseShippedIndex, parseShippedVolume, volumesByLabel, volumeId } from '../../src/lib/data/shipped';
import { NUM_CLASSES } from '../../src/lib/data/labels';
import { DataFormatError } from '../../src/lib/data/npy';
import { writeNpz } from '../../src/lib/data/npz';

const DIR = join('public', 'volumes');

describe('shipped explorer volumes (public/volumes)', () => {
  const index = parseShippedIndex(JSON.parse(readFileSync(join(DIR, 'index.json'), 'utf8')));

  it('lists at least 2 test volumes for each of the 11 organs, under ~6 MB in all', () => {
    const by = volumesByLabel(index);
    expect(by.size).toBe(NUM_CLASSES);
    for (const list of by.values()) expect(list.length).toBeGreaterThanOrEqual(2);
    // the textured phantom (v5) compresses less: ~160 kB a crop, 2 per organ plus the snapshot volumes
    expect(index.volumes.reduce((s, v) => s + v.bytes, 0)).toBeLessThan(6e6);
  });

  it('every file matches its sha256 and holds a 64³ uint8 image and 0/1 mask', () => {
    for (const v of index.volumes) {
      const bytes = new Uint8Array(readFileSync(join(DIR, v.file)));
      expect(createHash('sha256').update(bytes).digest('hex'), v.file).toBe(v.sha256);
      expect(v.id).toBe(volumeId(v.split, v.index));
      const vol = parseShippedVolume(bytes, v, index.dataset.size);
      expect(vol.image.length).toBe(64 ** 3);
      expect(vol.mask, `${v.id}: the phantom's volumes keep their masks`).not.toBeNull();
      let inside = 0;
      let other = 0;
      for (const m of vol.mask!) {
        if (m === 1) inside++;
        else if (m !== 0) other++;
      }
      expect(other, `${v.id}: mask values other than 0/1`).toBe(0);
      expect(inside, `${v.id} has an empty mask`).toBeGreaterThan(0);
    }
  });

  it('refuses bad indexes and volumes with clear messages', () => {
    expect(() => parseShippedIndex({ format: 'x' })).toThrow(DataFormatError);
    expect(() => parseShippedIndex({ ...index, volumes: [{ ...index.volumes[0], label: 11 }] })).toThrow(/label 11 out of range/);
    expect(() => parseShippedIndex({ ...index, volumes: [{ ...index.volumes[0], file: '../x.npz' }] })).toThrow(/bad volume entry/);
    const cube = { dtype: 'uint8' as const, shape: [8, 8, 8], data: new Uint8Array(512) };
    expect(() => parseShippedVolume(writeNpz({ mask: cube }), index.volumes[0], 64)).toThrow(/missing key image/);
    // a volume of a dataset without masks (OrganMNIST3D) has no mask: parsed as null
    expect(parseShippedVolume(writeNpz({ image: cube }), index.volumes[0], 8).mask).toBeNull();
    const bad = writeNpz({ image: cube, mask: cube });
    expect(() => parseShippedVolume(bad, index.volumes[0], 64)).toThrow(/'image' has shape \(8, 8, 8\), expected \(64, 64, 64\)/);
  });
});
