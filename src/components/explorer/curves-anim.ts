/**
 * Deletion and insertion, animated: beside each curve the slice of the perturbed volume at a step
 * (the most salient voxels replaced by the baseline state first, or put back first), a marker on
 * the curve at that step, a slider to scrub and a Play button. The perturbed volumes follow the
 * worker's rule (lib/metrics/deletion: voxels by decreasing saliency, ties by index, the same
 * number per step), computed here on the shown slice only.
 */
import { gaussianBlur3d } from '../../lib/data/volume';
import { sliceOf, VIEW_AXIS, type Pos, type View } from '../../lib/viz/orient';
import type { CurveBaseline, CurvesResult } from './runtime/protocol';
import { curveStates } from './baseline';
import { defaultBlurSigma } from '../../lib/metrics/deletion';

export interface CurveAnimInput {
  ct: Float32Array;
  cam: Float32Array;
  size: number;
  baseline: CurveBaseline | undefined;
  curves: CurvesResult;
  view: View;
  pos: Pos;
}

/** The volume's voxel ranks by decreasing saliency (rank 0 = most salient), ties by lower index. */
function ranks(cam: Float32Array): Uint32Array {
  const n = cam.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => cam[b] - cam[a] || a - b);
  const r = new Uint32Array(n);
  for (let k = 0; k < n; k++) r[order[k]] = k;
  return r;
}

export function showCurveAnimation(plot: HTMLElement, inp: CurveAnimInput): void {
  const S = inp.size, n = S ** 3;
  const steps = inp.curves.steps;
  const per = Math.ceil(n / steps);
  const at = inp.pos[VIEW_AXIS[inp.view]];
  const rank = ranks(inp.cam);
  // the states the worker's curves used: the build's baseline for both ends, or (as deletionInsertion
  // defaults) zeros for deletion and RISE's blur for insertion
  const ends = inp.baseline ? curveStates(inp.baseline, inp.ct) : null;
  const delEnd = ends?.deletionEnd ?? new Float32Array(n);
  const insStart = ends?.insertionStart ?? gaussianBlur3d(inp.ct, [S, S, S], defaultBlurSigma(S));
  const ctS = sliceOf(inp.ct, S, inp.view, at), rankS = sliceOf(rank, S, inp.view, at);
  const delS = sliceOf(delEnd, S, inp.view, at), insS = sliceOf(insStart, S, inp.view, at);

  const box = document.createElement('div');
  box.className = 'ex-anim';
  box.dataset.curveAnim = '';
  box.innerHTML = `
    <div class="ex-anim-row"><canvas width="${S}" height="${S}" data-anim="deletion" role="img" aria-label="Deletion: the slice with the most salient voxels replaced"></canvas><span class="ex-small">Deletion at this step</span></div>
    <div class="ex-anim-row"><canvas width="${S}" height="${S}" data-anim="insertion" role="img" aria-label="Insertion: the slice with the most salient voxels put back"></canvas><span class="ex-small">Insertion at this step</span></div>
    <label class="ex-anim-scrub"><span>Step</span><input type="range" min="0" max="${steps}" value="0" data-anim-step /><output data-anim-out>0</output>
      <button type="button" class="button button--ghost" data-anim-play>Play</button></label>
    <p class="ex-small" data-anim-text></p>`;
  plot.append(box);
  const pair = plot.querySelector('.ex-curve-pair');
  const svgs = pair ? [...pair.querySelectorAll('svg')] : [];
  // a marker on each curve at the step (the chart's frame is its plot area; x runs 0..1)
  const markers = svgs.map((svg) => {
    const frame = [...svg.querySelectorAll('rect')].find((r) => r.getAttribute('fill') === 'none');
    if (!frame) return null;
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    line.setAttribute('stroke', 'currentColor');
    line.setAttribute('stroke-width', '2');
    line.setAttribute('stroke-dasharray', '4 3');
    line.setAttribute('y1', frame.getAttribute('y')!);
    line.setAttribute('y2', String(Number(frame.getAttribute('y')) + Number(frame.getAttribute('height'))));
    svg.append(line);
    return { line, x0: Number(frame.getAttribute('x')), w: Number(frame.getAttribute('width')) };
  });
  const slider = box.querySelector<HTMLInputElement>('[data-anim-step]')!;
  const draw = (k: number) => {
    const cut = Math.min(n, k * per);
    for (const kind of ['deletion', 'insertion'] as const) {
      const cv = box.querySelector<HTMLCanvasElement>(`[data-anim="${kind}"]`)!;
      const img = new ImageData(S, S);
      for (let i = 0; i < S * S; i++) {
        const hit = rankS[i] < cut;
        const v = kind === 'deletion' ? (hit ? delS[i] : ctS[i]) : hit ? ctS[i] : insS[i];
        const g = Math.round(Math.min(1, Math.max(0, v)) * 255);
        // the voxels changed so far tinted, so the reader sees where the map points
        const tint = kind === 'deletion' ? hit : !hit;
        img.data.set(tint ? [Math.min(255, g + 40), g, Math.min(255, g + 60), 255] : [g, g, g, 255], i * 4);
      }
      cv.getContext('2d')!.putImageData(img, 0, 0);
    }
    markers.forEach((m) => {
      if (!m) return;
      const x = m.x0 + (k / steps) * m.w;
      m.line.setAttribute('x1', String(x));
      m.line.setAttribute('x2', String(x));
    });
    const y = (c: { y: number[] }) => c.y[Math.min(k, c.y.length - 1)];
    box.querySelector('[data-anim-out]')!.textContent = String(k);
    box.querySelector('[data-anim-text]')!.textContent =
      `Step ${k} of ${steps}: the ${(Math.min(1, cut / n) * 100).toFixed(0)} % most salient voxels deleted (p = ${y(inp.curves.deletion).toFixed(3)}) or inserted (p = ${y(inp.curves.insertion).toFixed(3)}); this slice, with the changed voxels tinted.`;
    box.dataset.step = String(k);
  };
  slider.addEventListener('input', () => draw(Number(slider.value)));
  let timer: ReturnType<typeof setInterval> | null = null;
  const play = box.querySelector<HTMLButtonElement>('[data-anim-play]')!;
  play.addEventListener('click', () => {
    if (timer) {
      clearInterval(timer);
      timer = null;
      play.textContent = 'Play';
      return;
    }
    if (Number(slider.value) >= steps) slider.value = '0';
    play.textContent = 'Pause';
    timer = setInterval(() => {
      const k = Number(slider.value) + 1;
      slider.value = String(k);
      draw(k);
      if (k >= steps && timer) {
        clearInterval(timer);
        timer = null;
        play.textContent = 'Play';
      }
    }, 180);
  });
  draw(0);
}
