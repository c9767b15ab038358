/**
 * Types of the CAM library that every method and the shared pipeline use. A method is its weights:
 * the registry (methods.ts) names each method and gives its weights function; `computeCam`
 * (compute.ts) runs the rest. The method union `CamMethod` derives from the registry, so this file
 * is generic in it (`CamOptionsOf<M>`, `CamResultOf<M>`) and methods.ts fixes M.
 */
import type { ForwardModel } from '../model/inference';
import type { TaskRunner } from '../tasks/pool';

/** Options a method's weights may read (each method reads the ones it needs). */
export interface MethodOptions {
  /** Channels kept by Faster Score-CAM. Default FASTER_TOP_N. */
  topN?: number;
  /**
   * How Faster Score-CAM ranks channels: 'energy' (mean square = variance + mean², default) or
   * 'variance' of the activation map (the Faster Score-CAM definition). Energy also keeps strong,
   * flat maps, which carry much of Σ w_k A_k: on the shipped phantom model it was closer to the full
   * CAM than variance at every N tried (24-40; `npm run bench` prints both).
   */
  rankBy?: 'variance' | 'energy';
  /** Masked inputs per forward pass. Default 8 (the most efficient per volume on Node wasm). */
  batchSize?: number;
  /**
   * Subtract the target score of the all-zero input from every channel score (the paper's CIC,
   * Eq. 4: f(X∘H_k) − f(X_b)). Default 'none', as the official code and the original project.
   * The method `scorecam-cic` always does.
   */
  baseline?: 'none' | 'zero';
  /**
   * Softmax over the channel scores (the paper's Algorithm 1). Default false, as the official code
   * and the original project: the weight of a channel is the target's softmax probability itself.
   * The method `scorecam-softmax` always does.
   */
  channelSoftmax?: boolean;
  /** Called with (channels done, channels to run). */
  onProgress?: (done: number, total: number) => void;
  /**
   * Score-CAM: each batch of channel scores as it arrives — `scores[j]` is the target's probability
   * for the input masked by channel `channels[from + j]` (before baseline/softmax). Lets a page show
   * the method at work (src/components/explorer/at-work.ts).
   */
  onScores?: (from: number, scores: Float32Array, channels: Int32Array) => void;
  /** Abort → the promise rejects with a DOMException named 'AbortError'; no tensor is left behind. */
  signal?: AbortSignal;
  /**
   * Await a macrotask every this many batches, so a page stays responsive.
   * Default 1 in a browser (a `window` exists), 0 (never) elsewhere.
   */
  yieldEvery?: number;
  /** Where Score-CAM's masked forward passes run (default: this thread, on `model`); e.g. a worker pool. */
  runner?: TaskRunner;
}

export interface CamOptionsOf<M extends string> extends MethodOptions {
  /** Default 'scorecam'. */
  method?: M;
  /** Stage whose activations are explained, 1-4 (0 = the stem also works). Default 4. */
  stage?: 0 | 1 | 2 | 3 | 4;
  /** Class to explain; default: the predicted class. */
  target?: number;
  /**
   * The unmasked pass of this volume at this stage, if already run (`stageActivations`): not run
   * again. Methods that need gradients run their own on the training model and ignore it.
   */
  activations?: StageActivations;
}

export interface StageActivations {
  /** The volume (the same array) and stage these are of. */
  volume: Float32Array;
  stage: number;
  /** [C, d·h·w], channel-major (C order [z][y][x] within a map). */
  maps: Float32Array;
  channels: number;
  shape: [number, number, number];
  /** Class probabilities of the unmasked volume. */
  probs: Float32Array;
}

export interface CamResultOf<M extends string> {
  /** Input-sized S³ map in [0,1], C order [z][y][x]. */
  cam: Float32Array;
  /** The stage-resolution map ReLU(Σ w_k A_k), normalised to [0,1], before upsampling. */
  lowRes: Float32Array;
  lowResShape: [number, number, number];
  target: number;
  predicted: number;
  /** Class probabilities of the unmasked input. */
  probs: Float32Array;
  method: M;
  stage: number;
  /** Channels actually used (after skipping constant maps / keeping the top N). */
  channels: number;
  /** Channels of the stage. */
  totalChannels: number;
  /** Per-channel weights w_k of the channels used (what the method's `weights` gave). */
  weights: Float32Array;
  /** Indices of the channels used, in the order of `weights`. */
  channelIndices: Int32Array;
  timings: {
    totalMs: number;
    /** Time in model forward passes (on async backends, e.g. WebGL, this includes queued work). */
    forwardMs: number;
    /** Number of (masked) inputs run through the model, the unmasked one included. */
    forwardInputs: number;
  };
}

/**
 * Faster Score-CAM defaults, measured with the shipped phantom model (retrained on phantom v4) on 12
 * validation volumes, Pearson r with the full stage-4 CAM, mean (min): top 32 by energy 0.982
 * (0.931); top 28 by energy 0.963 (0.803); top 32 by variance 0.962 (0.790); top 40 by energy
 * 0.986. 32 of 128 channels is four batches of 8, about 4× fewer forward inputs.
 */
export const FASTER_TOP_N = 32;
export const FASTER_RANK_BY: 'variance' | 'energy' = 'energy';
export const DEFAULT_BATCH_SIZE = 8;
export const DEFAULT_STAGE = 4;

export function defaultYieldEvery(): number {
  return typeof (globalThis as { window?: unknown }).window !== 'undefined' ? 1 : 0;
}

/** What a method's weights function gets: the volume, the stage's activations and the target. */
export interface WeightsContext {
  /** The model the method runs on: the training model when the method needs gradients. */
  model: ForwardModel;
  volume: Float32Array;
  /** Input side S (the volume is S³). */
  size: number;
  stage: number;
  /** The unmasked pass: the stage's maps [C, d·h·w] and the class probabilities. */
  act: StageActivations;
  target: number;
  opts: MethodOptions;
}

/** A method's answer: w_k for the channels it uses, and what computing them cost. */
export interface ChannelWeights {
  weights: Float32Array;
  /** The channels the weights belong to, ascending (the CAM is Σ_j weights[j] · A_channels[j]). */
  channels: Int32Array;
  /** Time in model passes beyond the unmasked one, and the inputs they ran. */
  forwardMs: number;
  forwardInputs: number;
}

/** One CAM method: everything the CLI, the precompute, the explorer and the worker need to know. */
export interface CamMethodSpec<Id extends string = string> {
  id: Id;
  /** Display name, e.g. 'Grad-CAM++'. */
  label: string;
  /** Shown after the label in a menu, e.g. 'top 32'. */
  detail?: string;
  /** Gradients w.r.t. the activations: runs on the training model, on this thread (no pool). */
  needsGradients: boolean;
  /** Forward passes beyond the unmasked one for a stage of `channels` channels (backward counted as one). */
  forwardPasses(channels: number): number;
  /** Whether the explorer's "at work" figure (channel scores as they arrive) applies. */
  atWork: boolean;
  /** Why fewer channels than the stage has carry weight, when the method chooses them (e.g. Faster's top N). */
  describeChannels?(used: number, total: number): string;
  weights(ctx: WeightsContext): Promise<ChannelWeights>;
}

/** All channels 0…C−1 (methods that weight every channel). */
export function allChannels(channels: number): Int32Array {
  return Int32Array.from({ length: channels }, (_, k) => k);
}
