/** Messages between the explorer page and its model workers (worker.ts), typed per request. */
import type { BackendAttempt, BackendName } from '../../../lib/model/backend';
import type { ErrorKind } from '../../../lib/model/errors';
import type { CamMethod, CamResult } from '../../../lib/cam/methods';
import type { OodResult } from '../../../lib/ood/score';

export interface CamRequest {
  method: CamMethod;
  stage: 1 | 2 | 3 | 4;
  target?: number;
  batchSize?: number;
  /** Score-CAM: also send the channel maps and each batch's scores ('detail' messages) for the "at work" figure. */
  detail?: boolean;
}

/** Score-CAM at work: the maps it runs (once), then each batch of channel scores as it arrives. */
export type CamDetail =
  | { kind: 'channels'; maps: Float32Array; shape: [number, number, number]; indices: Int32Array; target: number }
  | { kind: 'scores'; from: number; scores: Float32Array };

/**
 * The state the curves delete towards and insert from. The explorer passes the build's choice
 * (faithfulness.json) where a browser can make it; without one, RISE's blur start and a zero end.
 */
export type CurveBaseline = { kind: 'blur'; sigma: number } | { kind: 'zero' } | { kind: 'crop-mean' } | { kind: 'train-mean-value'; meanValue: number };

export interface InitResult {
  backend: BackendName;
  attempts: BackendAttempt[];
  manifest: { name: string; architecture?: { label?: string; parameters?: number }; weights?: { sha256?: string } };
  stages: number[];
  loadMs: number;
  /**
   * Workers that will share Score-CAM and the curves (this one included): more than one only on
   * the CPU backends (wasm, cpu); the helpers start after this reply and join when loaded.
   */
  poolSize: number;
  /** The inference model with batch norm folded into fused convolutions (wasm, cpu) or the training model's forward (GPUs). */
  fused: boolean;
  /**
   * Threads each worker's backend runs on: 1, or more where wasm found SharedArrayBuffer (a
   * cross-origin-isolated page) and loaded its multithreaded build.
   */
  threads: number;
}
export interface PredictResult {
  probs: Float32Array;
  predicted: number;
  ms: number;
  /**
   * Expected wall time per masked forward input of Score-CAM on the current pool and backend:
   * measured on the last Score-CAM or curves run of this pool, else this forward pass's time
   * scaled by the batching gain and the workers loaded so far.
   */
  perInputMs: number;
  /**
   * The out-of-distribution score of this volume (src/lib/ood, the model's ood.json): when it is
   * flagged the page says, in the prediction's line, that the prediction and CAM are no organ finding.
   * Null where the model has no usable calibration (`oodNote` says why).
   */
  ood: OodResult | null;
  oodNote: string | null;
}
/** What the worker sends back of a CamResult (the per-channel weights and the low-res map stay in the worker). */
export type CamResultMsg = Pick<
  CamResult,
  'cam' | 'lowResShape' | 'target' | 'predicted' | 'probs' | 'method' | 'stage' | 'channels' | 'totalChannels' | 'timings'
> & {
  workers: number;
  /** Batches each worker of the pool ran (the coordinator first): how the work was shared. */
  shares: number[];
};
export interface CurvesResult {
  deletion: { x: number[]; y: number[]; auc: number };
  insertion: { x: number[]; y: number[]; auc: number };
  steps: number;
  ms: number;
  workers: number;
}

/** What the page asks, and what each request answers. */
export interface Requests {
  init: { req: { order: BackendName[]; modelUrl: string }; result: InitResult };
  /** `rerun`: run the unmasked pass again even if this volume's is known (benchmarks time it). */
  predict: { req: { volume: Float32Array; rerun?: boolean }; result: PredictResult };
  cam: { req: { volume: Float32Array; opts: CamRequest; /** test hook: fail as a lost backend would */ simulateFailure?: boolean }; result: CamResultMsg };
  curves: { req: { volume: Float32Array; saliency: Float32Array; target: number; steps: number; baseline?: CurveBaseline }; result: CurvesResult };
}
export type RequestType = keyof Requests;
export type Request<K extends RequestType = RequestType> = { [T in K]: { type: T } & Requests[T]['req'] }[K];
export type ResultOf<K extends RequestType> = Requests[K]['result'];

/**
 * On the wire, a volume travels once: 'volume' stores it under a key in the coordinator, and the
 * requests name the key. Helpers ('helper') load the same model on the same backend and serve
 * batches to the coordinator over their own MessagePort ('attach').
 */
export type ToWorker =
  | { id: number; type: 'init'; order: BackendName[]; modelUrl: string; /** workers the page can afford (client.ts) */ poolSize: number; /** false: the training model's forward (benchmarks) */ fused: boolean; /** wasm threads per worker (multithreaded wasm: isolated pages only) */ threads: number }
  | { id: number; type: 'helper'; backend: BackendName; modelUrl: string; fused: boolean; threads: number; port: MessagePort }
  | { id: number; type: 'attach'; helper: number; port: MessagePort }
  | { id: number; type: 'detach'; helper: number; reason: string }
  | { id: number; type: 'volume'; key: number; volume: Float32Array }
  | { id: number; type: 'predict'; volumeKey: number; rerun?: boolean }
  | { id: number; type: 'cam'; volumeKey: number; opts: CamRequest; simulateFailure?: boolean }
  | { id: number; type: 'curves'; volumeKey: number; saliency: Float32Array; target: number; steps: number; baseline?: CurveBaseline }
  | { id: number; type: 'cancel'; job: number };

/** Replies: a result names the request it answers, so the client can check it. */
export type ResultMsg = { [K in RequestType]: { id: number; type: 'result'; request: K; result: ResultOf<K> } }[RequestType];
export type FromWorker =
  | { id: number; type: 'progress'; phase: 'model' | 'cam' | 'curves'; done: number; total: number; label?: string }
  | { id: number; type: 'detail'; detail: CamDetail }
  | ResultMsg
  | { id: number; type: 'ready' }
  | { id: number; type: 'error'; name: string; message: string; kind: ErrorKind };
