/** Messages between the explorer page and its model worker (worker.ts). */
import type { BackendAttempt, BackendName } from '../../lib/model/backend';
import type { CamMethod, CamResult } from '../../lib/cam/types';

export interface CamRequest {
  method: CamMethod;
  stage: 1 | 2 | 3 | 4;
  target?: number;
  batchSize?: number;
}

export type ToWorker =
  | { id: number; type: 'init'; order: BackendName[]; modelUrl: string }
  | { id: number; type: 'predict'; volume: Float32Array }
  | { id: number; type: 'cam'; volume: Float32Array; opts: CamRequest; /** test hook: fail as a lost backend would */ simulateFailure?: boolean }
  | { id: number; type: 'curves'; volume: Float32Array; saliency: Float32Array; target: number; steps: number }
  | { id: number; type: 'cancel'; job: number };

export interface InitResult {
  backend: BackendName;
  attempts: BackendAttempt[];
  manifest: { name: string; architecture?: { label?: string; parameters?: number }; weights?: { sha256?: string } };
  stages: number[];
  loadMs: number;
}
export interface PredictResult {
  probs: Float32Array;
  predicted: number;
  ms: number;
}
/** What the worker sends back of a CamResult (the per-channel weights and the low-res map stay in the worker). */
export type CamResultMsg = Pick<
  CamResult,
  'cam' | 'lowResShape' | 'target' | 'predicted' | 'probs' | 'method' | 'stage' | 'channels' | 'totalChannels' | 'timings'
>;
export interface CurvesResult {
  deletion: { x: number[]; y: number[]; auc: number };
  insertion: { x: number[]; y: number[]; auc: number };
  steps: number;
  ms: number;
}

export type FromWorker =
  | { id: number; type: 'progress'; phase: 'model' | 'cam' | 'curves'; done: number; total: number; label?: string }
  | { id: number; type: 'result'; result: unknown }
  | { id: number; type: 'error'; name: string; message: string; kind: 'abort' | 'model' | 'backend' | 'input' };
