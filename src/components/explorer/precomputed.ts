/**
 * The precomputed CAMs of the shipped volumes (issue 6's build step). Until its format
 * (src/lib/precompute/format.ts) lands, nothing is precomputed and the slot stays empty.
 */
import type { CamMethod } from '../../lib/cam/types';

export interface PrecomputedCam {
  method: CamMethod;
  stage: number;
  target: number;
  cam: Float32Array;
}

export async function loadPrecomputed(_base: string, _volumeId: string): Promise<PrecomputedCam[]> {
  return [];
}
