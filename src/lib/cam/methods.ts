/**
 * The CAM methods: one registry entry per method. A method is its weights; everything else (the
 * input checks, the unmasked pass, Σ_k w_k A_k, ReLU, upsampling, the result) is the shared pipeline
 * in compute.ts. The CLIs (`npm run explain -- --method ID`), the precompute's method keys
 * (`ID-s4`), the explorer's menu, its worker and its links all read this list: a new method is a
 * weights file and an entry here.
 *
 * Weights load lazily (`import()`): the explorer's page reads the labels without bundling
 * TensorFlow.js; its worker and Node load the weights code when a method first runs.
 */
import { FASTER_TOP_N, type CamMethodSpec, type CamOptionsOf, type CamResultOf } from './types';

const method = <Id extends string>(spec: CamMethodSpec<Id>): CamMethodSpec<Id> => spec;
const scoreCam = () => import('./scorecam');

export const CAM_METHOD_LIST = [
  method({
    id: 'scorecam',
    label: 'Score-CAM',
    needsGradients: false,
    forwardPasses: (channels) => channels,
    atWork: true,
    weights: async (ctx) => (await scoreCam()).scoreCamWeights(ctx),
  }),
  method({
    id: 'faster-scorecam',
    label: 'Faster Score-CAM',
    detail: `top ${FASTER_TOP_N}`,
    needsGradients: false,
    forwardPasses: (channels) => Math.min(FASTER_TOP_N, channels),
    atWork: true,
    describeChannels: (used, total) => `the ${used} of ${total} with the most activation energy`,
    weights: async (ctx) => (await scoreCam()).fasterScoreCamWeights(ctx),
  }),
  method({
    // the paper's Channel-wise Increase of Confidence (Wang et al. 2020, Eq. 4): w_k = s_k − s(0)
    id: 'scorecam-cic',
    label: 'Score-CAM (CIC)',
    detail: 'minus the blank input’s score',
    needsGradients: false,
    forwardPasses: (channels) => channels + 1,
    // the figure sums raw scores; these weights are shifted
    atWork: false,
    weights: async (ctx) => (await scoreCam()).scoreCamWeights(ctx, { baseline: 'zero' }),
  }),
  method({
    // the paper's Algorithm 1: softmax over the channel scores
    id: 'scorecam-softmax',
    label: 'Score-CAM (channel softmax)',
    needsGradients: false,
    forwardPasses: (channels) => channels,
    atWork: false,
    weights: async (ctx) => (await scoreCam()).scoreCamWeights(ctx, { channelSoftmax: true }),
  }),
  method({
    id: 'gradcam',
    label: 'Grad-CAM',
    needsGradients: true,
    // one forward and one backward pass
    forwardPasses: () => 2,
    atWork: false,
    weights: async (ctx) => (await import('./gradcam')).gradCamWeights(ctx),
  }),
  method({
    id: 'gradcampp',
    label: 'Grad-CAM++',
    needsGradients: true,
    forwardPasses: () => 2,
    atWork: false,
    weights: async (ctx) => (await import('./gradcampp')).gradCamPlusPlusWeights(ctx),
  }),
  method({
    // a control: Σ_k A_k, no model output
    id: 'uniform',
    label: 'Uniform weights (Σ activations)',
    needsGradients: false,
    forwardPasses: () => 0,
    atWork: false,
    weights: async (ctx) => (await import('./uniform')).uniformWeights(ctx),
  }),
] as const;

/** A method's id: 'scorecam' | 'faster-scorecam' | … (from the list above). */
export type CamMethod = (typeof CAM_METHOD_LIST)[number]['id'];
export type CamOptions = CamOptionsOf<CamMethod>;
export type CamResult = CamResultOf<CamMethod>;

export const CAM_METHOD_IDS: readonly CamMethod[] = CAM_METHOD_LIST.map((m) => m.id);
export const CAM_METHODS = Object.fromEntries(CAM_METHOD_LIST.map((m) => [m.id, m])) as Readonly<Record<CamMethod, CamMethodSpec<CamMethod>>>;

export function isCamMethod(id: unknown): id is CamMethod {
  return typeof id === 'string' && Object.hasOwn(CAM_METHODS, id);
}

/** The registry entry of `id`; an Error naming the known methods for anything else. */
export function camMethod(id: string): CamMethodSpec<CamMethod> {
  if (!isCamMethod(id)) throw new Error(`unknown CAM method '${id}' (${CAM_METHOD_IDS.join(', ')})`);
  return CAM_METHODS[id];
}

/** A method's display name; an unknown id (e.g. from an old cache) is shown as it is. */
export function methodLabel(id: string): string {
  return isCamMethod(id) ? CAM_METHODS[id].label : id;
}

/** Whether a run of the method sends forward passes to the runner (a worker pool): not the gradient ones, not those with no passes. */
export function usesRunner(id: CamMethod, channels: number): boolean {
  const m = CAM_METHODS[id];
  return !m.needsGradients && m.forwardPasses(channels) > 0;
}

/** The precompute's method keys: `scorecam-s4` → {method, stage}; null for anything else. */
export function parseMethodKey(key: string): { method: CamMethod; stage: number } | null {
  const m = /^(.+)-s([0-4])$/.exec(key);
  return m && isCamMethod(m[1]) ? { method: m[1], stage: Number(m[2]) } : null;
}
