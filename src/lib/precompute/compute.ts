/**
 * The one explain-and-score pipeline: a CAM (or a control map) → deletion and insertion towards /
 * from the baseline state → AUCs (raw, normalised, 0/1) → localisation (pointing game, energy,
 * energy split, maximum on the crop face). The precompute workers, the CI check and
 * `npm run explain` all go through it.
 */
import { computeCam, type CamOptions, type CamResult } from '../cam';
import {
  cascadingRandomization,
  centrePrior,
  centreVoxel,
  contrastClass,
  deletionInsertion,
  energyPointingGame,
  energySplit,
  maskFraction,
  maximumOnFace,
  normalizedAuc,
  occlusionInputs,
  pointingGameHit,
  randomMap,
} from '../metrics';
import { mapSimilarity, type MapSimilarity } from '../metrics/sanity';
import { baselineVolume, type BaselineSpec, type TrainingStats } from '../metrics/baseline';
import type { ResNet3d } from '../model/resnet3d';
import { fuseForInference, type ForwardModel } from '../model/inference';
import * as tf from '@tensorflow/tfjs';
import { uint8ToUnit } from '../data/volume';
import { argmax } from '../util/array';
import { CONTROL_KEYS, type MethodRecord, type MethodSpec, type PrecomputeSettings, type SanityRecord, type SimilarityRecord, type VolumeRecord } from './format';

const round = (v: number, d = 6) => Math.round(v * 10 ** d) / 10 ** d;

/** One volume and what is known about it. */
export interface VolumeInput {
  image: Uint8Array;
  label: number;
  mask?: Uint8Array;
  labelmap?: Uint8Array;
  subject?: number | null;
  /** Stored orientation (ORIENTATIONS index), where the dataset records it. */
  orientation?: number;
}

/** What scoring needs besides the map: the baseline state and curve settings. */
export interface ScoreContext {
  x: Float32Array;
  size: number;
  label: number;
  mask?: Uint8Array;
  labelmap?: Uint8Array;
  baseline: Float32Array;
  pFull: number;
  pBase: number;
  steps: number;
  batchSize: number;
  /** Keep the curves (p(true) per step) in the record. */
  curves: boolean;
}

/** Softmax rows of a batch of S³ volumes in [0, 1]. */
export async function predictBatch(model: ForwardModel, volumes: Float32Array[], size: number): Promise<number[][]> {
  const n = size ** 3;
  const buf = new Float32Array(volumes.length * n);
  volumes.forEach((v, j) => buf.set(v, j * n));
  const t = tf.tensor(buf, [volumes.length, size, size, size]);
  const p = tf.tidy(() => model.predict(t));
  t.dispose();
  const d = (await p.data()) as Float32Array;
  p.dispose();
  const k = d.length / volumes.length;
  return volumes.map((_, j) => Array.from(d.subarray(j * k, (j + 1) * k)));
}


/** Scores one map: deletion/insertion with the context's baseline, then localisation where a mask exists. */
export async function scoreMap(model: ForwardModel, map: Float32Array, ctx: ScoreContext, pointingAt?: number): Promise<MethodRecord> {
  const t0 = performance.now();
  const di = await deletionInsertion(model, ctx.x, map, ctx.label, {
    steps: ctx.steps,
    batchSize: ctx.batchSize,
    insertionStart: ctx.baseline,
    deletionEnd: ctx.baseline,
    label: ctx.label,
  });
  const r: MethodRecord = {
    dauc: di.deletion.auc,
    iauc: di.insertion.auc,
    ndauc: nullable(normalizedAuc(di.deletion.auc, ctx.pFull, ctx.pBase)),
    niauc: nullable(normalizedAuc(di.insertion.auc, ctx.pFull, ctx.pBase)),
    dauc01: di.deletionCorrect.auc,
    iauc01: di.insertionCorrect.auc,
    ...(ctx.curves ? { deletion: di.deletion.y.map((v) => round(v, 4)), insertion: di.insertion.y.map((v) => round(v, 4)) } : {}),
    ms: 0,
  };
  if (ctx.mask) {
    r.pointing = pointingAt !== undefined ? (ctx.mask[pointingAt] ? 1 : 0) : pointingGameHit(map, ctx.mask) ? 1 : 0;
    r.energy = energyPointingGame(map, ctx.mask);
    const s = energySplit(map, ctx.mask, ctx.label, ctx.labelmap);
    r.split = { organ: round(s.organ), neighbours: round(s.neighbours), bone: round(s.bone), other: round(s.other) };
  }
  r.maxOnFace = maximumOnFace(map, ctx.size);
  r.ms = Math.round(performance.now() - t0);
  return r;
}

const nullable = (v: number) => (Number.isFinite(v) ? v : null);

export function camOptions(m: MethodSpec, target: number, batchSize: number): CamOptions {
  return { method: m.method, stage: m.stage, target, batchSize, ...(m.rankBy ? { rankBy: m.rankBy } : {}), ...(m.topN ? { topN: m.topN } : {}) };
}

/** Explains `target` with one method and scores the map. */
export async function explainAndScore(model: ResNet3d | ReturnType<typeof fuseForInference>, m: MethodSpec | CamOptions, ctx: ScoreContext): Promise<{ cam: CamResult; record: MethodRecord }> {
  const t0 = performance.now();
  const opts = 'key' in m ? camOptions(m, ctx.label, ctx.batchSize) : { ...m, target: ctx.label, batchSize: ctx.batchSize };
  const cam = await computeCam(model, ctx.x, opts);
  const record = await scoreMap(model, cam.cam, ctx);
  record.ms = Math.round(performance.now() - t0);
  return { cam, record };
}

/** The random control: the mean over `seeds` random voxel orders (curves, AUCs and pointing averaged). */
async function randomControl(model: ForwardModel, ctx: ScoreContext, seeds: number, seedBase: number): Promise<MethodRecord> {
  const t0 = performance.now();
  const rs: MethodRecord[] = [];
  for (let s = 0; s < seeds; s++) rs.push(await scoreMap(model, randomMap(ctx.x.length, seedBase * 1000 + s + 1), ctx));
  const mean = (f: (r: MethodRecord) => number | null | undefined) => {
    const v = rs.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  const meanCurve = (k: 'deletion' | 'insertion') => (rs[0][k] ? rs[0][k]!.map((_, i) => round(rs.reduce((a, r) => a + r[k]![i], 0) / rs.length, 4)) : undefined);
  const out: MethodRecord = {
    dauc: mean((r) => r.dauc)!,
    iauc: mean((r) => r.iauc)!,
    ndauc: mean((r) => r.ndauc),
    niauc: mean((r) => r.niauc),
    dauc01: mean((r) => r.dauc01)!,
    iauc01: mean((r) => r.iauc01)!,
    ...(ctx.curves ? { deletion: meanCurve('deletion'), insertion: meanCurve('insertion') } : {}),
    maxOnFace: false,
    ms: Math.round(performance.now() - t0),
  };
  if (ctx.mask) {
    out.pointing = mean((r) => r.pointing)!;
    out.energy = mean((r) => r.energy)!;
    out.split = { organ: mean((r) => r.split!.organ)!, neighbours: mean((r) => r.split!.neighbours)!, bone: mean((r) => r.split!.bone)!, other: mean((r) => r.split!.other)! };
  }
  return out;
}

/**
 * The scoring context of one volume: its baseline state and the model's probabilities for the
 * volume and the baseline (and for `extra` inputs, predicted in the same batch).
 */
export async function makeScoreContext(
  model: ForwardModel,
  x: Float32Array,
  v: Omit<VolumeInput, 'image'>,
  baselineSpec: BaselineSpec,
  trainStats: TrainingStats | undefined,
  s: { steps: number; batchSize: number },
  extra: Float32Array[] = [],
): Promise<{ ctx: ScoreContext & { baseProbs: number[] }; probs: number[]; extra: number[][] }> {
  const size = model.config.inputSize;
  const baseline = baselineVolume(baselineSpec, x, size, trainStats);
  const [probs, baseProbs, ...rest] = await predictBatch(model, [x, baseline, ...extra], size);
  return {
    ctx: { x, size, label: v.label, mask: v.mask, labelmap: v.labelmap, baseline, pFull: probs[v.label], pBase: baseProbs[v.label], baseProbs, steps: s.steps, batchSize: s.batchSize, curves: true },
    probs,
    extra: rest,
  };
}

export interface ComputeContext {
  settings: Pick<PrecomputeSettings, 'methods' | 'extraMethods' | 'steps' | 'randomSeeds' | 'sanityMethods' | 'sanityCascade' | 'sanitySeeds' | 'batchSize'>;
  baseline: BaselineSpec;
  trainStats?: TrainingStats;
  /** Run the extra methods and the sanity checks on this volume. */
  extras: boolean;
  /** Seed of the random orders (e.g. the test index, so every volume gets its own). */
  seed: number;
  /** Only these method keys (e.g. the CI check); controls and sanity skipped when set. */
  only?: MethodKey[];
  /** Score the maps and controls again with this second state (on the volumes of its subset). */
  secondState?: { spec: BaselineSpec; key: string; steps: number };
}
type MethodKey = string;

export interface VolumeComputation {
  record: Omit<VolumeRecord, 'key' | 'testIndex' | 'volumeSha256'>;
  cams: Record<string, Float32Array>;
}

/**
 * One test volume through everything: prediction, baseline and occlusion predictions, each method's
 * CAM for the ground-truth class (so DAUC/IAUC measure the evidence for the right organ, also when
 * the model is wrong) and its scores, the controls, and on the extras subset the extra methods and
 * the sanity checks.
 */
export async function computeVolume(source: ResNet3d, v: VolumeInput, c: ComputeContext): Promise<VolumeComputation> {
  // forward passes run on the inference model (batch norm folded, fused conv + bias + ReLU: ~1.2×
  // faster on wasm, equal within 1e-5); Grad-CAM and the sanity checks use the training model
  const model = fuseForInference(source);
  try {
    return await computeVolumeOn(model, v, c);
  } finally {
    model.dispose();
  }
}

async function computeVolumeOn(model: ReturnType<typeof fuseForInference>, v: VolumeInput, c: ComputeContext): Promise<VolumeComputation> {
  const t0 = performance.now();
  const size = model.config.inputSize;
  const s = c.settings;
  const x = uint8ToUnit(v.image);
  const occ = v.mask ? occlusionInputs(x, v.mask, size) : undefined;
  const { ctx, probs, extra: preds } = await makeScoreContext(model, x, v, c.baseline, c.trainStats, s, occ ? [occ.organReplaced, occ.contextRemoved] : []);
  const methods: Record<string, MethodRecord> = {};
  const cams: Record<string, Float32Array> = {};
  const ms = { total: 0, methods: 0, controls: 0, extras: 0, sanity: 0 };
  const want = (m: MethodSpec) => !c.only || c.only.includes(m.key);
  let t = performance.now();
  for (const m of s.methods.filter(want)) {
    const r = await explainAndScore(model, m, ctx);
    methods[m.key] = r.record;
    cams[m.key] = r.cam.cam;
  }
  ms.methods = performance.now() - t;
  if (!c.only) {
    t = performance.now();
    methods[CONTROL_KEYS.random] = await randomControl(model, ctx, s.randomSeeds, c.seed);
    methods[CONTROL_KEYS.centre] = await scoreMap(model, centrePrior(size), ctx, centreVoxel(size));
    ms.controls = performance.now() - t;
  }
  const second = c.secondState && !c.only ? await scoreSecondState(model, cams, ctx, c.secondState, s, c.seed, c.trainStats) : undefined;
  let sanity: Record<string, SanityRecord> | undefined;
  if (c.extras) {
    t = performance.now();
    const ectx = { ...ctx, curves: false };
    for (const m of s.extraMethods.filter(want)) {
      const r = await explainAndScore(model, m, ectx);
      methods[m.key] = r.record;
      if (s.sanityMethods.includes(m.key)) cams[m.key] = r.cam.cam;
    }
    ms.extras = performance.now() - t;
    t = performance.now();
    for (const key of c.only ? [] : s.sanityMethods) {
      const m = [...s.methods, ...s.extraMethods].find((q) => q.key === key);
      if (!m || !cams[key]) continue;
      const ts = performance.now();
      sanity ??= {};
      const checks = await sanityChecks(model, x, cams[key], m, v.label, probs, s);
      sanity[key] = { ...checks, ms: Math.round(performance.now() - ts) };
    }
    ms.sanity = performance.now() - t;
  }
  ms.total = performance.now() - t0;
  const r6 = (p: number[]) => p.map((q) => round(q));
  return {
    record: {
      subject: v.subject ?? null,
      label: v.label,
      predicted: argmax(probs),
      probs: r6(probs),
      baselineProbs: r6(ctx.baseProbs),
      ...(v.mask ? { maskFraction: maskFraction(v.mask) } : {}),
      labelmap: !!v.labelmap,
      ...(v.orientation !== undefined ? { orientation: v.orientation } : {}),
      ...(second ? { secondState: second } : {}),
      ...(occ
        ? {
            occlusion: {
              organReplaced: { predicted: argmax(preds[0]), pTrue: round(preds[0][v.label]) },
              contextRemoved: { predicted: argmax(preds[1]), pTrue: round(preds[1][v.label]) },
            },
          }
        : {}),
      extras: c.extras,
      methods,
      ...(sanity ? { sanity } : {}),
      ms: { total: Math.round(ms.total), methods: Math.round(ms.methods), controls: Math.round(ms.controls), extras: Math.round(ms.extras), sanity: Math.round(ms.sanity) },
    },
    cams: Object.fromEntries(s.methods.filter((m) => cams[m.key]).map((m) => [m.key, cams[m.key]])),
  };
}

const roundSimilarity = (q: MapSimilarity): SimilarityRecord => ({ rho: q.rho === null ? null : round(q.rho, 4), ssim: q.ssim === null ? null : round(q.ssim, 4), degenerate: q.degenerate });

/** Seeds of the sanity checks' randomisations (far apart: each variable takes the next seed). */
const SANITY_SEED = (k: number) => 7919 + 100_003 * k;

/**
 * The sanity checks of one map: the cascade with the first seed, full randomisation with every
 * further seed (the cascade's last level is the first seed's), and the class contrast. Maps are
 * compared by |ρ| and SSIM; a constant map is recorded as degenerate.
 */
async function sanityChecks(model: ReturnType<typeof fuseForInference>, x: Float32Array, original: Float32Array, m: MethodSpec, label: number, probs: number[], s: ComputeContext['settings']): Promise<Omit<SanityRecord, 'ms'>> {
  const size = model.config.inputSize;
  const explain = async (rm: ResNet3d) => (await computeCam(rm, x, camOptions(m, label, s.batchSize))).cam;
  // Score-CAM-like maps cost a forward pass per channel at each level: the variants get full randomisation only
  const cascade = await cascadingRandomization(model.source, original, explain, { seed: SANITY_SEED(0), ...(s.sanityCascade.includes(m.key) ? {} : { explainAt: ['stem'] as const }) });
  const full = [{ seed: 1, ...roundSimilarity(cascade[cascade.length - 1]) }];
  for (let k = 1; k < s.sanitySeeds; k++) {
    const [last] = await cascadingRandomization(model.source, original, explain, { seed: SANITY_SEED(k), explainAt: ['stem'] });
    full.push({ seed: k + 1, ...roundSimilarity(last) });
  }
  const other = contrastClass(probs, label);
  const alt = await computeCam(model, x, camOptions(m, other, s.batchSize));
  return {
    cascade: cascade.map((q) => ({ level: q.level, ...roundSimilarity(q) })),
    full,
    contrast: { target: other, ...roundSimilarity(mapSimilarity(original, alt.cam, size)) },
  };
}

/** Every main map and both controls scored again towards / from the second state (AUCs only, no localisation). */
async function scoreSecondState(
  model: ForwardModel,
  cams: Record<string, Float32Array>,
  ctx: ScoreContext,
  second: NonNullable<ComputeContext['secondState']>,
  s: ComputeContext['settings'],
  seed: number,
  trainStats: TrainingStats | undefined,
): Promise<NonNullable<VolumeRecord['secondState']>> {
  // a training-mean state needs the training split's statistics, as the first state does
  const baseline = baselineVolume(second.spec, ctx.x, ctx.size, trainStats);
  const [pb] = await predictBatch(model, [baseline], ctx.size);
  const c2: ScoreContext = { ...ctx, baseline, pBase: pb[ctx.label], steps: second.steps, curves: false, mask: undefined, labelmap: undefined };
  const pick = (r: MethodRecord) => ({ dauc: r.dauc, iauc: r.iauc, ndauc: r.ndauc, niauc: r.niauc });
  const methods: NonNullable<VolumeRecord['secondState']>['methods'] = {};
  for (const m of s.methods) if (cams[m.key]) methods[m.key] = pick(await scoreMap(model, cams[m.key], c2));
  methods[CONTROL_KEYS.random] = pick(await randomControl(model, c2, s.randomSeeds, seed));
  methods[CONTROL_KEYS.centre] = pick(await scoreMap(model, centrePrior(ctx.size), c2, centreVoxel(ctx.size)));
  return { key: second.key, pBase: round(pb[ctx.label]), methods };
}
