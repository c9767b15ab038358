/**
 * Running a CAM or the deletion/insertion curves in the worker, with the progress, status text and
 * errors the reader sees. The explorer decides when; this module knows how.
 */
import { displayName } from '../../lib/data/labels';
import { isAbortError } from '../../lib/util/async';
import { CAM_METHODS, isCamMethod, type CamMethod } from '../../lib/cam/methods';
import { perturbationCurveSvg } from '../../lib/viz/curves';
import type { CamRequest, CamResultMsg, CurveBaseline, CurvesResult } from './runtime/protocol';
import type { AtWork, AtWorkInput } from './at-work';
import type { ModelRunner } from './runtime/model';
import { BACKEND_LABEL, methodName, msg, type Ui } from './ui';

export const CURVE_STEPS = 32;

export interface CamState {
  cam: Float32Array;
  source: 'precomputed' | 'live';
  method: CamMethod;
  stage: number;
  target: number;
  ms?: number;
  channels?: number;
  totalChannels?: number;
}

/** Forward passes a CAM needs (for the time estimate), as its registry entry counts them. */
export function camPasses(method: CamMethod, stage: number): number {
  const channels = 16 * 2 ** (stage - 1);
  return CAM_METHODS[method].forwardPasses(channels);
}

export function describeCam(c: CamState): string {
  return `${c.source === 'live' ? 'Live' : 'Precomputed'} ${methodName(c.method)}, stage ${c.stage}, target ${displayName(c.target)}`;
}

/** Why a CAM used fewer channels than the stage has. */
export function channelNote(c: CamState): string {
  if (c.channels === undefined || c.totalChannels === undefined) return '';
  const chooses = isCamMethod(c.method) ? CAM_METHODS[c.method].describeChannels : undefined;
  if (chooses) return ` (${chooses(c.channels, c.totalChannels)})`;
  const skipped = c.totalChannels - c.channels;
  return skipped > 0
    ? ` of ${c.totalChannels}: ${skipped} channel${skipped === 1 ? ' was' : 's were'} constant over this volume, so ${skipped === 1 ? 'its' : 'their'} normalised map is undefined and ${skipped === 1 ? 'it carries' : 'they carry'} no weight`
    : '';
}

export class CamRunner {
  running = false;
  private simulateFailure = false;

  constructor(
    private ui: Ui,
    private model: ModelRunner,
    private onBusy: () => void,
    /** The "Score-CAM at work" figure, where the page has one. */
    readonly atWork: AtWork | null = null,
    /** The build's deletion/insertion baseline state (faithfulness.json), where a browser can make it. */
    readonly baseline: CurveBaseline | undefined = undefined,
  ) {}

  failNext(): void {
    this.simulateFailure = true;
  }

  /** Computes a live CAM; null when cancelled or failed (the status says which). */
  async run(ct: Float32Array, req: CamRequest, view?: AtWorkInput): Promise<CamResultMsg | null> {
    this.model.cancel();
    const status = this.ui.q('[data-cam-status]');
    const bar = this.ui.q<HTMLProgressElement>('[data-cam-progress]');
    bar.value = 0;
    const t0 = performance.now();
    let done: number | undefined, total: number | undefined;
    const tick = () => {
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      status.textContent = `Computing live ${methodName(req.method)} (stage ${req.stage})${done !== undefined ? `: ${done} of ${total} channels` : '…'} ${s} s`;
    };
    this.ui.root.dataset.camState = 'running';
    this.running = true;
    this.onBusy();
    const timer = window.setInterval(tick, 250);
    // read inside the job factory: a retry after a fallback must not fail again
    const takeFailure = () => {
      const f = this.simulateFailure;
      this.simulateFailure = false;
      return f;
    };
    // Score-CAM draws its work in the figure; gradient methods have no masked passes to show. A closed
    // figure gets nothing: its painting runs on the page's thread, which competes with the
    // workers for the cores (measured: bench:browser --at-work closed)
    const figure = CAM_METHODS[req.method].atWork && view && this.atWork?.shown() ? this.atWork : null;
    if (!CAM_METHODS[req.method].atWork) this.atWork?.empty(`${methodName(req.method)} makes no masked passes, so there is nothing to watch here: it weights the channels without scoring masked copies. Score-CAM and Faster Score-CAM draw their work in this figure.`);
    let completed = false;
    try {
      const r = await this.model.run((w) => {
        figure?.begin(view!);
        return w.run(
          { type: 'cam', volume: ct, opts: { ...req, detail: !!figure }, simulateFailure: takeFailure() },
          (m) => {
            if (m.phase !== 'cam') return;
            done = m.done;
            total = m.total;
            bar.value = m.total ? m.done / m.total : 0;
            tick();
          },
          [],
          figure ? (d) => figure.detail(d) : undefined,
        );
      });
      bar.value = 1;
      this.ui.root.dataset.camState = 'done';
      completed = true;
      return r;
    } catch (e) {
      if (isAbortError(e)) {
        status.textContent = `Cancelled after ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
        this.ui.root.dataset.camState = 'cancelled';
      } else {
        this.ui.root.dataset.camState = 'error';
        this.ui.showError(`Score-CAM failed: ${msg(e)}`, () => void this.run(ct, req));
      }
      return null;
    } finally {
      clearInterval(timer);
      figure?.finish(completed);
      this.running = false;
      this.onBusy();
    }
  }

  /** Status line for a CAM now on screen. */
  showDone(c: CamState): void {
    const backend = this.model.init ? BACKEND_LABEL[this.model.init.backend] : '';
    this.ui.text(
      '[data-cam-status]',
      c.source === 'live'
        ? `${describeCam(c)}: ${c.channels} channels${channelNote(c)}; ${((c.ms ?? 0) / 1000).toFixed(2)} s on ${backend}.`
        : `${describeCam(c)} (from the build).`,
    );
  }

  async curves(ct: Float32Array, cam: CamState): Promise<CurvesResult | null> {
    const bar = this.ui.q<HTMLProgressElement>('[data-curves-progress]');
    const plot = this.ui.q('[data-curve-plot]');
    plot.textContent = 'Computing…';
    this.running = true;
    this.onBusy();
    try {
      const r = await this.model.run((w) =>
        w.run({ type: 'curves', volume: ct, saliency: cam.cam, target: cam.target, steps: CURVE_STEPS, baseline: this.baseline }, (m) => {
          if (m.phase === 'curves') bar.value = m.total ? m.done / m.total : 0;
        }),
      );
      const organ = displayName(cam.target);
      // the Results page's curve figures, so both pages draw deletion and insertion alike
      plot.innerHTML =
        `<div class="ex-curve-pair">${perturbationCurveSvg('deletion', r.deletion, { id: 'ex-del', organ })}${perturbationCurveSvg('insertion', r.insertion, { id: 'ex-ins', organ })}</div>` +
        `<p class="ex-small">Deletion AUC <strong data-auc="deletion">${r.deletion.auc.toFixed(3)}</strong> (lower is better), insertion AUC <strong data-auc="insertion">${r.insertion.auc.toFixed(3)}</strong> (higher is better); ${r.steps} steps in ${(r.ms / 1000).toFixed(1)} s, for the ${cam.source} ${methodName(cam.method)} map.</p>`;
      return r;
    } catch (e) {
      plot.textContent = isAbortError(e) ? 'Cancelled.' : '';
      if (!isAbortError(e)) this.ui.showError(`The curves failed: ${msg(e)}`, () => void this.curves(ct, cam));
      return null;
    } finally {
      this.running = false;
      this.onBusy();
    }
  }
}
