/**
 * The precomputed CAMs of the shipped volumes (issue 6's build step, `npm run precompute`):
 * /precompute/cams/index.json (CamIndex, from cache/precompute/phantom-64/cams/) + one quantised npz per test volume
 * (see src/lib/precompute/format.ts). They explain the TRUE label of each volume.
 * A missing cache is not an error: the explorer then only computes live.
 */
import type { CamMethod } from '../../lib/cam/methods';
import { decodeCamFile, type CamIndex } from '../../lib/precompute/format';
import { parseMethodKey } from '../../lib/site/explorer-link';

export interface PrecomputedCam {
  key: string;
  /** SHA-256 of the weights that produced it (shown only when the loaded model has the same) */
  weightsSha256: string;
  method: CamMethod;
  stage: number;
  target: number;
  cam: Float32Array;
}

const indexCache = new Map<string, Promise<CamIndex | null>>();

function loadIndex(base: string): Promise<CamIndex | null> {
  let p = indexCache.get(base);
  if (!p) {
    p = fetch(base + 'precompute/cams/index.json')
      .then((r) => (r.ok ? (r.json() as Promise<CamIndex>) : null))
      .catch(() => null);
    indexCache.set(base, p);
  }
  return p;
}

/** `base` ends with '/'. Returns [] when nothing is precomputed for this test volume. */
export async function loadPrecomputed(base: string, testIndex: number, size: number): Promise<PrecomputedCam[]> {
  const index = await loadIndex(base);
  const item = index?.items.find((i) => i.testIndex === testIndex);
  if (!index || !item || index.size !== size) return [];
  const res = await fetch(base + 'precompute/cams/' + item.file);
  if (!res.ok) return [];
  const cams = decodeCamFile(new Uint8Array(await res.arrayBuffer()), item.file);
  const out: PrecomputedCam[] = [];
  for (const [key, cam] of Object.entries(cams)) {
    const mk = parseMethodKey(key);
    if (mk && cam.length === size ** 3) out.push({ key, weightsSha256: index.model.weightsSha256, ...mk, target: item.label, cam });
  }
  return out;
}
