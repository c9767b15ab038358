/**
 * The explorer's controls: reading them, setting them from the URL, writing them back to the
 * address bar (lib/site/explorer-link), and wiring their events to the controller.
 */
import type { CamMethod } from '../../lib/cam/methods';
import { explorerQuery, type ExplorerState } from '../../lib/site/explorer-link';
import type { Pos } from '../../lib/viz/orient';
import type { CamRequest } from './runtime/protocol';
import { openEntry, openFile, type OpenHost } from './open';
import type { Ui } from './ui';
import type { InputVolume } from './volumes';
import { viewParams } from './view-controls';

/** What the controls need of the page (explorer.ts provides it; this module never imports it). */
export interface ControlsHost extends OpenHost {
  readonly vol: Pick<InputVolume, 'id' | 'entry'> | null;
  readonly pos: Pos;
  /** The 3D view's camera, for the URL (null: none yet). */
  readonly views: { readonly cloud: { readonly camera: Parameters<typeof viewParams>[2] } | null };
  runCam(): Promise<unknown>;
  runCurves(): Promise<void>;
  camControlsChanged(): void;
  redraw(): void;
  movePos(p: Pos): void;
}

const sel = (ui: Ui, name: string) => ui.q<HTMLSelectElement>(`[data-${name}]`);
const input = (ui: Ui, name: string) => ui.q<HTMLInputElement>(`[data-${name}]`);

export function camRequest(ui: Ui): CamRequest {
  const t = sel(ui, 'target').value;
  return { method: sel(ui, 'method').value as CamMethod, stage: Number(sel(ui, 'stage').value) as 1 | 2 | 3 | 4, target: t === 'auto' ? undefined : Number(t) };
}

/** Sets the controls from a URL state (the volume is the volume source's business). */
export function applyState(ui: Ui, s: ExplorerState): void {
  if (s.method) sel(ui, 'method').value = s.method;
  if (s.stage) sel(ui, 'stage').value = String(s.stage);
  if (s.target !== undefined) sel(ui, 'target').value = String(s.target);
  if (s.threshold !== undefined) input(ui, 'threshold').value = String(s.threshold);
  syncOutputs(ui);
}

function syncOutputs(ui: Ui): void {
  ui.text('[data-threshold-out]', Number(input(ui, 'threshold').value).toFixed(2));
  ui.text('[data-opacity-out]', Number(input(ui, 'opacity').value).toFixed(2));
}

/** The address bar follows the controls (replaceState: no history entry per slider move). */
export function writeUrl(ex: ControlsHost): void {
  const r = camRequest(ex.ui);
  // a shipped volume by its id; while a reader's own file is shown, file=own and no shipped id (not the file's
  // name: the address travels in Referer headers, and a name can identify a patient; the file never leaves the browser)
  const own = !!ex.vol && !ex.vol.entry;
  const volume = own ? undefined : (ex.vol?.entry?.id ?? new URLSearchParams(location.search).get('volume') ?? undefined);
  const q = new URLSearchParams(explorerQuery({ volume, method: r.method, stage: r.stage, target: r.target, threshold: Number(input(ex.ui, 'threshold').value) }));
  if (own) q.set('file', 'own');
  // the view: mode, layers, opacity, slice, camera, comparison (lib/site/view-state)
  for (const [k, v] of viewParams(ex.ui, ex.pos, ex.views.cloud?.camera ?? null)) q.set(k, v);
  for (const k of ['backend', 'model', 'autorun', 'cloud', 'workers', 'fused', 'threads']) {
    const v = ex.params.get(k);
    if (v !== null) q.set(k, v);
  }
  if (`?${q}` === location.search) return; // (an unchanged URL would still make the browser refetch the favicon)
  history.replaceState(history.state, '', `${location.pathname}?${q}${location.hash}`);
}

export function wireControls(ex: ControlsHost): void {
  const ui = ex.ui;
  const pick = () => {
    const e = ex.volumes.byId(sel(ui, 'volume').value);
    if (e) void openEntry(ex, e);
  };
  sel(ui, 'organ').addEventListener('change', () => {
    ex.volumes.fillVolumes();
    pick();
  });
  sel(ui, 'volume').addEventListener('change', pick);
  ui.q('[data-run]').addEventListener('click', () => void ex.runCam());
  ui.q('[data-cancel]').addEventListener('click', () => ex.model.cancel());
  ui.maybe('[data-curves]')?.addEventListener('click', () => void ex.runCurves());
  for (const s of ['method', 'stage', 'target']) sel(ui, s).addEventListener('change', () => ex.camControlsChanged());
  sel(ui, 'view-mode').addEventListener('change', () => {
    ex.redraw();
    writeUrl(ex);
  });
  for (const s of ['threshold', 'opacity', 'show-ct', 'show-cam', 'show-mask']) {
    input(ui, s).addEventListener('input', () => {
      syncOutputs(ui);
      ex.redraw();
    });
    input(ui, s).addEventListener('change', () => writeUrl(ex));
  }
  (['axial', 'coronal', 'sagittal'] as const).forEach((view, k) => {
    const range = ui.q<HTMLInputElement>(`[data-slice-range="${view}"]`);
    range.addEventListener('input', () => {
      const p: Pos = [...ex.pos];
      p[k] = Number(range.value);
      ex.movePos(p);
    });
  });
  const file = ui.maybe<HTMLInputElement>('[data-upload]');
  if (!file) return;
  file.disabled = false;
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) void openFile(ex, f);
  });
  const zone = ui.q('[data-dropzone]');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('dragover');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragover'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragover');
    const f = e.dataTransfer?.files?.[0];
    if (f) void openFile(ex, f);
  });
}
