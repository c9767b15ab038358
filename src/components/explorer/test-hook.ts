/** The test and benchmark hook (types in hook.ts, shared with the e2e tests). */
import { pearson } from '../../lib/metrics/localization';
import type { BackendName } from '../../lib/model/backend';
import type { Pos } from '../../lib/viz/orient';
import { openFile, type OpenHost } from './open';
import type { ExplorerHook } from './hook';
import type { CamRequest, CamResultMsg, CurvesResult } from './runtime/protocol';
import type { ModelRunner } from './runtime/model';
import type { CamRunner, CamState } from './cam';
import type { PrecomputedCam } from './precomputed';
import type { Views } from './views';
import type { InputVolume } from './volumes';

/** What the hook reads and drives on the page (explorer.ts provides it; this module never imports it). */
export interface HookHost extends OpenHost {
  readonly model: ModelRunner;
  readonly backendChoice: BackendName | 'auto';
  readonly vol: InputVolume | null;
  readonly predicted: number;
  readonly probs: Float32Array | null;
  readonly cam: CamState | null;
  readonly precomputed: readonly PrecomputedCam[];
  readonly lastCurves: CurvesResult | null;
  readonly views: Views;
  readonly pos: Pos;
  readonly cams: Pick<CamRunner, 'failNext'>;
  camStale(): boolean;
  runCam(req?: CamRequest): Promise<CamResultMsg | null>;
  runCurves(): Promise<void>;
  switchBackend(b: BackendName | 'auto'): Promise<void>;
}

export function makeHook(ex: HookHost): ExplorerHook {
  return {
    // polls rather than awaiting model.ready: a backend switch or fallback replaces that promise
    ready: () =>
      new Promise((resolve) => {
        const t = setInterval(() => {
          if (!ex.model.init || ex.ui.root.dataset.ready !== '1') return;
          clearInterval(t);
          resolve({ backend: ex.model.init.backend, attempts: ex.model.init.attempts });
        }, 50);
      }),
    state: () => ({
      backend: ex.model.init?.backend ?? null,
      backendChoice: ex.backendChoice,
      measurements: ex.model.measurements,
      volume: ex.vol?.id ?? null,
      predicted: ex.predicted,
      probs: ex.probs ? Array.from(ex.probs) : null,
      cam: ex.cam
        ? { source: ex.cam.source, method: ex.cam.method, stage: ex.cam.stage, target: ex.cam.target, ms: ex.cam.ms ?? null, channels: ex.cam.channels ?? null, totalChannels: ex.cam.totalChannels ?? null }
        : null,
      camStale: ex.camStale(),
      precomputed: ex.precomputed.map((p) => ({ method: p.method, stage: p.stage, target: p.target })),
      precomputedMismatch: ex.ui.root.dataset.precomputedMismatch === '1',
      curves: ex.lastCurves ? { deletion: ex.lastCurves.deletion.auc, insertion: ex.lastCurves.insertion.auc } : null,
      draw3dMs: ex.views.view3d?.lastDrawMs ?? null,
      update3dMs: ex.views.view3d?.lastUpdateMs ?? null,
      slicesMs: ex.views.slices.lastMs,
      pos: [...ex.pos],
    }),
    runCam: async (req) => {
      const r = await ex.runCam(req);
      return r ? { target: r.target, predicted: r.predicted, channels: r.channels, totalChannels: r.totalChannels, workers: r.workers, timings: { totalMs: r.timings.totalMs, forwardMs: r.timings.forwardMs, forwardInputs: r.timings.forwardInputs } } : null;
    },
    camCorrelation: (method = 'scorecam', stage = 4) => {
      const p = ex.precomputed.find((c) => c.method === method && c.stage === stage);
      return p && ex.cam ? pearson(ex.cam.cam, p.cam) : null;
    },
    camSnapshot: () => (ex.cam ? Array.from(ex.cam.cam.filter((_, i) => i % 7 === 0)) : null),
    benchmark: async (o) => {
      // Each timed run starts on an idle page: the previous result's 3D view drawn and its frames
      // rendered. Otherwise that drawing (software WebGL in a headless browser) overlaps the next
      // run, and it takes a core from a 2-worker pool while a 1-worker run leaves one free for it.
      const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
      const idle = async () => {
        await ex.views.settled();
        await frame();
        await frame();
        await new Promise((r) => setTimeout(r, 300));
      };
      await ex.model.ready;
      if (ex.model.init?.backend !== o.backend) await ex.switchBackend(o.backend);
      if (ex.model.init?.backend !== o.backend) throw new Error(`backend ${o.backend} did not start`);
      // the pool's helpers join in the background: time it at full size
      await ex.model.worker!.poolReady();
      const ct = ex.vol!.ct;
      const fwd: number[] = [];
      const once = () => ex.model.run((w) => w.run({ type: 'predict', volume: ct, rerun: true }));
      await once(); // warm-up
      for (let i = 0; i < (o.repeats ?? 3); i++) fwd.push((await once()).ms);
      // the first run also pays one-time costs in every worker (XNNPACK operators for the batch
      // shapes, weight packing): time it, then time steady runs and keep the fastest
      const runs: NonNullable<Awaited<ReturnType<typeof ex.runCam>>>[] = [];
      for (let i = 0; i < Math.max(1, o.camRepeats ?? 2); i++) {
        await idle();
        const one = await ex.runCam({ method: o.method ?? 'scorecam', stage: o.stage ?? 4 });
        if (!one) throw new Error('CAM failed');
        runs.push(one);
      }
      const steady = runs.length > 1 ? runs.slice(1) : runs;
      const r = steady.reduce((best, x) => (x.timings.totalMs < best.timings.totalMs ? x : best));
      if (o.curves) {
        await idle();
        await ex.runCurves();
      }
      return {
        backend: o.backend,
        forwardMs: Math.min(...fwd),
        camMs: r.timings.totalMs,
        camFirstMs: runs[0].timings.totalMs,
        camForwardMs: r.timings.forwardMs,
        forwardInputs: r.timings.forwardInputs,
        channels: r.channels,
        workers: r.workers,
        shares: r.shares,
        fused: ex.model.worker!.fused,
        threads: ex.model.init?.threads ?? 1,
        curvesMs: o.curves ? (ex.lastCurves?.ms ?? null) : null,
      };
    },
    openFile: (f) => openFile(ex, f),
    simulateBackendFailure: () => ex.cams.failNext(),
    settled: () => ex.views.settled(),
  };
}
