/** The deletion/insertion baseline states the explorers' workers can build, both ways: from the build's spec, from the page. */
import { baselineVolume, type BaselineSpec } from '../../lib/metrics/baseline';
import type { CurveBaseline } from './runtime/protocol';

/**
 * The curve baseline of a screened state where a browser can build it: zeros, a blur, or the
 * constant training mean (its value rounded to 1e-6). The voxel-wise training mean would need the
 * mean volume shipped, so it has none (undefined), nor has the constant mean without its value.
 */
export function curveBaseline(spec: BaselineSpec, meanValue?: number): CurveBaseline | undefined {
  if (spec.kind === 'zero') return { kind: 'zero' };
  if (spec.kind === 'crop-mean') return { kind: 'crop-mean' };
  if (spec.kind === 'blur' && spec.sigma) return { kind: 'blur', sigma: spec.sigma };
  if (spec.kind === 'train-mean-value' && meanValue !== undefined) return { kind: 'train-mean-value', meanValue: Math.round(meanValue * 1e6) / 1e6 };
  return undefined;
}

/** A CurveBaseline from its JSON, or undefined (no attribute, or one the browser cannot build). */
export function parseBaseline(json: string | undefined): CurveBaseline | undefined {
  if (!json) return undefined;
  try {
    const b = JSON.parse(json) as Partial<CurveBaseline> & { kind?: string; sigma?: number; meanValue?: number };
    if (b.kind === 'zero') return { kind: 'zero' };
    if (b.kind === 'crop-mean') return { kind: 'crop-mean' };
    if (b.kind === 'blur' && typeof b.sigma === 'number' && b.sigma > 0) return { kind: 'blur', sigma: b.sigma };
    if (b.kind === 'train-mean-value' && typeof b.meanValue === 'number' && Number.isFinite(b.meanValue)) return { kind: 'train-mean-value', meanValue: b.meanValue };
  } catch {
    /* a malformed attribute: the worker's default baseline */
  }
  return undefined;
}

/**
 * The curves' start and end states for a baseline the page chose (lib/metrics/baseline.ts builds
 * them): the worker's curves and the page's animation of them use the same states.
 */
export function curveStates(b: CurveBaseline, x: Float32Array): { insertionStart: Float32Array; deletionEnd: Float32Array } {
  const S = Math.round(Math.cbrt(x.length));
  const spec: BaselineSpec = b.kind === 'blur' ? { kind: 'blur', sigma: b.sigma } : { kind: b.kind };
  // a constant state needs only the training mean value, not the mean volume
  const state = baselineVolume(spec, x, S, b.kind === 'train-mean-value' ? { meanValue: b.meanValue, meanVolume: new Float32Array(0) } : undefined);
  return { insertionStart: state, deletionEnd: state };
}
