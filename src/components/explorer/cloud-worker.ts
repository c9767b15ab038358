/// <reference lib="webworker" />
/**
 * Builds the 3D view's voxel cloud (lib/viz/cloud-view: the tissue points of a CT) off the page's
 * thread, so opening a volume never blocks the page; the arrays are transferred back, not copied.
 */
import { cloudPoints } from '../../lib/viz/cloud-view';

export interface CloudJob {
  id: number;
  ct: Float32Array;
  size: number;
  stride: number;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = (e: MessageEvent<CloudJob>) => {
  const { id, ct, size, stride } = e.data;
  try {
    const p = cloudPoints(ct, size, stride);
    scope.postMessage({ id, points: p }, [p.positions.buffer, p.ct.buffer, p.voxel.buffer]);
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
