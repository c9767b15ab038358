/**
 * The explorer's typed test hook (window.__explorer on the first explorer of a page). The e2e tests
 * import these types, so the hook and its tests cannot drift apart.
 */
import type { BackendAttempt, BackendName } from '../../lib/model/backend';
import type { CamMethod } from '../../lib/cam/methods';
import type { CamRequest } from './runtime/protocol';
import type { BackendMeasurement } from './runtime/model';

export type { BackendMeasurement };

export interface ExplorerSnapshot {
  backend: BackendName | null;
  /** 'auto' when the backend was chosen by measurement */
  backendChoice: BackendName | 'auto';
  measurements: BackendMeasurement[];
  volume: string | null;
  predicted: number;
  probs: number[] | null;
  cam: { source: 'precomputed' | 'live'; method: CamMethod; stage: number; target: number; ms: number | null; channels: number | null; totalChannels: number | null } | null;
  /** the controls ask for another CAM than the one shown */
  camStale: boolean;
  precomputed: { method: CamMethod; stage: number; target: number }[];
  precomputedMismatch: boolean;
  curves: { deletion: number; insertion: number } | null;
  /** ms of the last full 3D draw and of the last partial update (restyle) */
  draw3dMs: number | null;
  update3dMs: number | null;
  /** ms of the last slice repaint (all three views) */
  slicesMs: number | null;
  pos: [number, number, number];
}

export interface ExplorerHook {
  ready(): Promise<{ backend: BackendName; attempts: BackendAttempt[] }>;
  state(): ExplorerSnapshot;
  runCam(r: CamRequest): Promise<{ target: number; predicted: number; channels: number; totalChannels: number; workers: number; timings: { totalMs: number; forwardMs: number; forwardInputs: number } } | null>;
  /** Pearson r between the current CAM and the precomputed one for a method and stage. */
  camCorrelation(method?: CamMethod, stage?: number): number | null;
  /** every 7th voxel of the current CAM */
  camSnapshot(): number[] | null;
  /** Switch backend (exact, no fallback) and time forward + CAM. */
  benchmark(o: { backend: BackendName; method?: CamMethod; stage?: 1 | 2 | 3 | 4; repeats?: number; /** CAM runs (default 2): the first, then the fastest of the rest */ camRepeats?: number; curves?: boolean }): Promise<{
    backend: BackendName;
    forwardMs: number;
    /** the fastest CAM run after the first (the first when camRepeats is 1) */
    camMs: number;
    /** the first CAM run on this page (one-time costs included) */
    camFirstMs: number;
    camForwardMs: number;
    forwardInputs: number;
    channels: number;
    /** workers of the pool that ran the CAM */
    workers: number;
    /** batches each worker ran in that CAM run (the coordinator first) */
    shares: number[];
    fused: boolean;
    /** threads each worker's backend runs on (more than 1: multithreaded wasm on an isolated page) */
    threads: number;
    curvesMs: number | null;
  }>;
  openFile(f: File): Promise<void>;
  /** The next CAM job fails in the worker as a lost GPU device would (tests the fallback). */
  simulateBackendFailure(): void;
  /** Resolves once the 3D view has drawn the current state (or at once when it has no work). */
  settled(): Promise<void>;
}

declare global {
  interface Window {
    __explorer: ExplorerHook;
  }
}
