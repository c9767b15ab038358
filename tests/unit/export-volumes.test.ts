/** `npm run export-volumes`'s library: the first N test volumes per organ, as the explorer reads them. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportShippedVolumes } from '../../src/lib/export/volumes.node.ts';
import { parseShippedIndex } from '../../src/lib/data/shipped';
import { readNpz } from '../../src/lib/data/npz';
import { masksPath, writeNpzFile } from '../../src/lib/data/store.node.ts';
import { syntheticSplit, writeTinyDataset } from './cli-helpers';

const tmp = mkdtempSync(join(tmpdir(), 'export-volumes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('exportShippedVolumes', () => {
  it('writes the first N test volumes of each organ with their masks and an index the explorer accepts', async () => {
    const S = 28;
    const dataDir = writeTinyDataset({ dir: join(tmp, 'data'), size: S, counts: [11, 11, 30] });
    const test = syntheticSplit(S, 30, 3000);
    const masks = (n: number) => ({ dtype: 'uint8' as const, shape: [n, S, S, S], data: new Uint8Array(n * S ** 3).map((_, i) => (i % 7 === 0 ? 1 : 0)) });
    writeNpzFile(masksPath('phantom', S, dataDir), { train_masks: masks(11), val_masks: masks(11), test_masks: masks(30) });
    const out = join(tmp, 'volumes');
    const index = await exportShippedVolumes({ dataset: 'phantom', size: S, perClass: 2, out, dataDir, log: () => {} });

    const parsed = parseShippedIndex(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')));
    expect(parsed.volumes).toEqual(index.volumes);
    // labels are i % 11 in the tiny split: the first two of each organ are i and i + 11, ordered by organ
    expect(index.volumes.map((v) => v.index)).toEqual(Array.from({ length: 11 }, (_, c) => [c, c + 11]).flat());
    const v = index.volumes[3];
    const back = readNpz(new Uint8Array(readFileSync(join(out, v.file))), v.file);
    expect(back.image.shape).toEqual([S, S, S]);
    expect(Array.from(back.image.data as Uint8Array)).toEqual(Array.from(test.images.subarray(v.index * S ** 3, (v.index + 1) * S ** 3)));
    expect(Array.from(back.mask.data as Uint8Array)).toEqual(Array.from(masks(30).data.subarray(v.index * S ** 3, (v.index + 1) * S ** 3)));

    // the Results snapshot volumes ship too (test 25 is organ 3: it sorts in after 3 and 14)
    const withSnapshots = await exportShippedVolumes({ dataset: 'phantom', size: S, perClass: 2, out, dataDir, extra: [25, 3], log: () => {} });
    expect(withSnapshots.volumes.filter((x) => x.label === 3).map((x) => x.index)).toEqual([3, 14, 25]);
    expect(withSnapshots.volumes).toHaveLength(23);
    await expect(exportShippedVolumes({ dataset: 'phantom', size: S, perClass: 2, out, dataDir, extra: [30], log: () => {} })).rejects.toThrow(/not in the phantom test split/);
  });
});
