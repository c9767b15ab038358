/** The build's deletion/insertion baseline state, as Explorer.astro writes it into data-baseline. */
import type { CurveBaseline } from './protocol';

/** A CurveBaseline from its JSON, or undefined (no attribute, or one the browser cannot build). */
export function parseBaseline(json: string | undefined): CurveBaseline | undefined {
  if (!json) return undefined;
  try {
    const b = JSON.parse(json) as Partial<CurveBaseline> & { kind?: string; sigma?: number; meanValue?: number };
    if (b.kind === 'zero') return { kind: 'zero' };
    if (b.kind === 'blur' && typeof b.sigma === 'number' && b.sigma > 0) return { kind: 'blur', sigma: b.sigma };
    if (b.kind === 'train-mean-value' && typeof b.meanValue === 'number' && Number.isFinite(b.meanValue)) return { kind: 'train-mean-value', meanValue: b.meanValue };
  } catch {
    /* a malformed attribute: the worker's default baseline */
  }
  return undefined;
}
