/**
 * The compact explorer (CompactExplorer.astro): loads the model with the explorer's backend choice
 * (ModelRunner), fetches the article's shipped volume, runs Score-CAM for its true organ with the
 * "at work" figure, then scores the map's curves under each baseline state the article lists.
 */
import { displayName } from '../../lib/data/labels';
import { parseShippedIndex, parseShippedVolume } from '../../lib/data/shipped';
import { uint8ToUnit } from '../../lib/data/volume';
import { maskCentre } from '../../lib/viz/orient';
import { curveComparisonSvg } from '../../lib/viz/curves';
import { isAbortError } from '../../lib/util/async';
import { parseExplorerQuery } from '../../lib/site/explorer-link';
import { AtWork } from './at-work';
import { CURVE_STEPS } from './cam';
import { ModelRunner } from './runtime/model';
import type { CurveBaseline, CurvesResult } from './runtime/protocol';
import { BACKEND_LABEL, msg } from './ui';

class CompactExplorer {
  private readonly base: string;
  private readonly model: ModelRunner;
  private readonly figure: AtWork;
  private vol: { ct: Float32Array; mask: Uint8Array | null; size: number } | null = null;
  private cam: Float32Array | null = null;
  private busy = false;

  constructor(private readonly root: HTMLElement) {
    this.base = root.dataset.base ?? '/';
    this.model = new ModelRunner(`${this.base}models/${encodeURIComponent(root.dataset.model ?? '')}/`, 64, {
      progress: (label, frac) => {
        if (label) this.status(label);
        this.progress(frac ?? -1);
      },
      fellBack: () => this.status(this.model.fallbackNote),
    }, parseExplorerQuery(location.search).runtime);
    this.figure = new AtWork(this.q('[data-at-work]'));
    this.q('[data-cx-run]').addEventListener('click', () => void this.run());
    this.q('[data-cx-baselines]').addEventListener('click', () => void this.compare());
    root.dataset.state = 'idle';
    root.dataset.js = '1';
    this.q<HTMLButtonElement>('[data-cx-run]').disabled = false;
  }

  private q<T extends HTMLElement = HTMLElement>(sel: string): T {
    const el = this.root.querySelector<T>(sel);
    if (!el) throw new Error(`compact explorer: missing ${sel}`);
    return el;
  }
  private status(t: string): void {
    this.q('[data-cx-status]').textContent = t;
  }
  private progress(frac: number): void {
    const p = this.q<HTMLProgressElement>('[data-cx-progress]');
    if (frac < 0) p.removeAttribute('value');
    else p.value = frac;
  }
  private setBusy(b: boolean): void {
    this.busy = b;
    this.q<HTMLButtonElement>('[data-cx-run]').disabled = b;
    this.q<HTMLButtonElement>('[data-cx-baselines]').disabled = b || !this.cam;
  }

  private async loadVolume(): Promise<{ ct: Float32Array; mask: Uint8Array | null; size: number }> {
    const get = async (path: string) => {
      const res = await fetch(`${this.base}${path}`);
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    };
    const dir = this.root.dataset.volumes ?? 'volumes/';
    const index = parseShippedIndex(JSON.parse(new TextDecoder().decode(await get(`${dir}index.json`))), `${dir}index.json`);
    const entry = index.volumes.find((v) => v.id === this.root.dataset.volume);
    if (!entry) throw new Error(`volume ${this.root.dataset.volume} is not in ${dir}index.json`);
    const v = parseShippedVolume(await get(`${dir}${entry.file}`), entry, index.dataset.size);
    return { ct: uint8ToUnit(v.image), mask: v.mask, size: v.size };
  }

  private async run(): Promise<void> {
    if (this.busy) return;
    this.setBusy(true);
    this.root.dataset.state = 'running';
    const target = Number(this.root.dataset.label);
    const t0 = performance.now();
    try {
      if (!this.model.init) await this.model.start('auto');
      this.vol ??= await this.loadVolume();
      const vol = this.vol;
      const backend = BACKEND_LABEL[this.model.init!.backend];
      const pred = await this.model.run((w) => w.run({ type: 'predict', volume: vol.ct }));
      const pos = maskCentre(vol.mask, vol.size) ?? [vol.size / 2, vol.size / 2, vol.size / 2];
      let completed = false;
      try {
        const r = await this.model.run((w) => {
          this.figure.begin({ ct: vol.ct, size: vol.size, mask: vol.mask, view: 'axial', pos, pFull: pred.probs[target] });
          return w.run(
            { type: 'cam', volume: vol.ct, opts: { method: 'scorecam', stage: 4, target, detail: true } },
            (m) => {
              if (m.phase !== 'cam') return;
              this.progress(m.total ? m.done / m.total : 0);
              this.status(`Score-CAM on ${backend}: ${m.done} of ${m.total} channels, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
            },
            [],
            (d) => this.figure.detail(d),
          );
        });
        completed = true;
        this.cam = r.cam;
        this.status(
          `Score-CAM for ${displayName(target).toLowerCase()} (the model predicts ${displayName(r.predicted).toLowerCase()}, p ${r.probs[r.predicted].toFixed(3)}): ${r.channels} channels in ${(r.timings.totalMs / 1000).toFixed(1)} s on ${backend}, ${r.workers} worker${r.workers === 1 ? '' : 's'}. Drag the slider to sum only the strongest channels.`,
        );
        this.root.dataset.state = 'done';
      } finally {
        this.figure.finish(completed);
      }
    } catch (e) {
      this.root.dataset.state = 'error';
      this.status(isAbortError(e) ? 'Cancelled.' : `Could not run Score-CAM here: ${msg(e)}`);
    } finally {
      this.progress(1);
      this.setBusy(false);
    }
  }

  /** The map's deletion and insertion curves under each listed baseline state. */
  private async compare(): Promise<void> {
    if (this.busy || !this.cam || !this.vol) return;
    const list = JSON.parse(this.root.dataset.baselines ?? '[]') as { label: string; baseline: CurveBaseline }[];
    const target = Number(this.root.dataset.label);
    const vol = this.vol;
    const cam = this.cam;
    this.setBusy(true);
    this.root.dataset.curves = 'running';
    const out: { label: string; r: CurvesResult }[] = [];
    try {
      for (const [i, b] of list.entries()) {
        this.status(`Deletion and insertion with ${b.label} (${i + 1} of ${list.length})…`);
        const r = await this.model.run((w) =>
          w.run({ type: 'curves', volume: vol.ct, saliency: cam, target, steps: CURVE_STEPS, baseline: b.baseline }, (m) => {
            if (m.phase === 'curves') this.progress((i + (m.total ? m.done / m.total : 0)) / list.length);
          }),
        );
        out.push({ label: b.label, r });
      }
      const organ = displayName(target).toLowerCase();
      this.q('[data-cx-curves]').innerHTML = (['deletion', 'insertion'] as const)
        .map((k) => curveComparisonSvg(k, out.map((o) => ({ label: o.label, curve: o.r[k] })), { id: `cx-${k}`, organ }))
        .join('');
      const spread = (k: 'deletion' | 'insertion') => {
        const a = out.map((o) => o.r[k].auc);
        return (Math.max(...a) - Math.min(...a)).toFixed(3);
      };
      this.status(`The same map scores deletion AUCs ${out.map((o) => o.r.deletion.auc.toFixed(3)).join(' / ')} and insertion AUCs ${out.map((o) => o.r.insertion.auc.toFixed(3)).join(' / ')} (${out.map((o) => o.label).join(' / ')}): a spread of ${spread('deletion')} and ${spread('insertion')} from the baseline state alone.`);
      this.root.dataset.curves = 'done';
    } catch (e) {
      this.root.dataset.curves = 'error';
      this.status(`The curves failed: ${msg(e)}`);
    } finally {
      this.progress(1);
      this.setBusy(false);
    }
  }
}

export function startCompactExplorers(): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-compact-explorer]')) {
    if (el.dataset.started) continue;
    el.dataset.started = '1';
    new CompactExplorer(el);
  }
}
