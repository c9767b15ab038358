/**
 * One call that explains a volume and scores the explanation: the CAM, its deletion/insertion
 * curves and AUCs, and (when the organ mask is known) its localisation. The CLIs and the
 * precompute step run every volume through this, then `summarizeExplanations`.
 */
import type { ResNet3d } from '../model/resnet3d';
import { deletionInsertion, type FaithfulnessOptions, type FaithfulnessResult } from '../metrics/deletion';
import { energyPointingGame, maskFraction, pointingGameHit } from '../metrics/localization';
import { computeCam } from './compute';
import type { CamOptions, CamResult } from './types';

export interface ExplainOptions extends CamOptions {
  /** The true class: enables the 0/1 "still correct" curves against it (default: the target). */
  label?: number;
  /** The organ mask (S³, nonzero inside) for the localisation scores. */
  mask?: Uint8Array;
  /** Options of the deletion/insertion curves (steps 64, blur start by default). */
  faithfulness?: Omit<FaithfulnessOptions, 'label' | 'signal'>;
  /** Skip the curves (CAM and localisation only). */
  skipCurves?: boolean;
}

export interface ExplainResult {
  cam: CamResult;
  faithfulness?: FaithfulnessResult;
  label?: number;
  correct?: boolean;
  localization?: { energy: number; hit: boolean; maskFraction: number };
  timings: { camMs: number; curvesMs: number; totalMs: number; forwardMs: number };
}

export async function explainVolume(model: ResNet3d, volume: Float32Array, opts: ExplainOptions = {}): Promise<ExplainResult> {
  const t0 = performance.now();
  const cam = await computeCam(model, volume, opts);
  const camMs = performance.now() - t0;
  let faithfulness: FaithfulnessResult | undefined;
  if (!opts.skipCurves) {
    faithfulness = await deletionInsertion(model, volume, cam.cam, cam.target, {
      batchSize: opts.batchSize,
      yieldEvery: opts.yieldEvery,
      ...opts.faithfulness,
      label: opts.label ?? cam.target,
      signal: opts.signal,
    });
  }
  const localization = opts.mask
    ? { energy: energyPointingGame(cam.cam, opts.mask), hit: pointingGameHit(cam.cam, opts.mask), maskFraction: maskFraction(opts.mask) }
    : undefined;
  return {
    cam,
    faithfulness,
    label: opts.label,
    correct: opts.label === undefined ? undefined : cam.predicted === opts.label,
    localization,
    timings: {
      camMs,
      curvesMs: faithfulness?.timings.totalMs ?? 0,
      totalMs: performance.now() - t0,
      forwardMs: cam.timings.forwardMs + (faithfulness?.timings.forwardMs ?? 0),
    },
  };
}

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export function meanStd(values: number[]): Stat {
  const n = values.length;
  if (!n) return { mean: NaN, std: NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const v = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n; // population std, as numpy's default
  return { mean, std: Math.sqrt(v), n };
}

export interface ExplanationSummary {
  n: number;
  accuracy: number;
  dauc: Stat;
  iauc: Stat;
  daucCorrect: Stat;
  iaucCorrect: Stat;
  energy: Stat;
  pointingHit: Stat;
  /** Mean mask share of the volume: the energy a uniform CAM would score. */
  maskFraction: Stat;
  camMs: Stat;
  curvesMs: Stat;
}

export function summarizeExplanations(results: ExplainResult[]): ExplanationSummary {
  const f = results.filter((r) => r.faithfulness).map((r) => r.faithfulness!);
  const loc = results.filter((r) => r.localization).map((r) => r.localization!);
  const withLabel = results.filter((r) => r.correct !== undefined);
  return {
    n: results.length,
    accuracy: withLabel.length ? withLabel.filter((r) => r.correct).length / withLabel.length : NaN,
    dauc: meanStd(f.map((r) => r.deletion.auc)),
    iauc: meanStd(f.map((r) => r.insertion.auc)),
    daucCorrect: meanStd(f.map((r) => r.deletionCorrect.auc)),
    iaucCorrect: meanStd(f.map((r) => r.insertionCorrect.auc)),
    energy: meanStd(loc.map((l) => l.energy)),
    pointingHit: meanStd(loc.map((l) => (l.hit ? 1 : 0))),
    maskFraction: meanStd(loc.map((l) => l.maskFraction)),
    camMs: meanStd(results.map((r) => r.timings.camMs)),
    curvesMs: meanStd(results.map((r) => r.timings.curvesMs)),
  };
}
