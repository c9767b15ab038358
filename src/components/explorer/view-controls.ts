/**
 * The explorer's view controls and the URL (lib/site/view-state: mode, layers, opacity, slice,
 * camera, comparison), and the read-out of the voxel the reader points at (CT value, CAM value,
 * organ), which the slices and the 3D view share.
 */
import { displayName } from '../../lib/data/labels';
import type { Pos } from '../../lib/viz/orient';
import { viewQuery, type ViewMode, type ViewState } from '../../lib/site/view-state';
import type { OrbitCamera } from '../../lib/viz/cloud-view';
import type { InputVolume } from './volumes';
import type { Ui } from './ui';

const input = (ui: Ui, name: string) => ui.maybe<HTMLInputElement>(`[data-${name}]`);

/** Sets the view controls from a URL state (the slice and the camera are the views' business). */
export function applyViewState(ui: Ui, s: ViewState): void {
  const mode = ui.maybe<HTMLSelectElement>('[data-view-mode]');
  if (s.mode && mode) mode.value = s.mode;
  const op = input(ui, 'opacity');
  if (s.opacity !== undefined && op) {
    op.value = String(s.opacity);
    ui.maybe('[data-opacity-out]')!.textContent = s.opacity.toFixed(2);
  }
  if (s.layers) {
    for (const k of ['ct', 'cam', 'mask'] as const) {
      const el = input(ui, `show-${k}`);
      if (el) el.checked = s.layers[k];
    }
  }
  const cmp = ui.maybe<HTMLSelectElement>('[data-compare]');
  if (s.compare && cmp && [...cmp.options].some((o) => o.value === s.compare)) cmp.value = s.compare;
}

/** The view part of the explorer's URL. */
export function viewParams(ui: Ui, pos: Pos, camera: OrbitCamera | null): [string, string][] {
  const state: ViewState = {
    mode: (ui.maybe<HTMLSelectElement>('[data-view-mode]')?.value as ViewMode) ?? undefined,
    opacity: Number(input(ui, 'opacity')?.value ?? 0.6),
    layers: { ct: !!input(ui, 'show-ct')?.checked, cam: !!input(ui, 'show-cam')?.checked, mask: !!input(ui, 'show-mask')?.checked },
    slice: [...pos],
    camera: camera ?? undefined,
    compare: ui.maybe<HTMLSelectElement>('[data-compare]')?.value || undefined,
  };
  return viewQuery(state);
}

/** What is at a voxel: position, CT value, CAM value, inside or outside the organ mask. */
export function readoutText(vol: InputVolume, cam: Float32Array | null, p: Pos): string {
  const S = Math.round(Math.cbrt(vol.ct.length));
  const [z, y, x] = p;
  const i = (z * S + y) * S + x;
  const organ = vol.entry ? displayName(vol.entry.label).toLowerCase() : null;
  const inMask = vol.mask ? vol.mask[i] > 0 : null;
  const ct = vol.ct[i];
  const parts = [
    `CT ${ct.toFixed(2)}${ct < 0.3 ? ' (air)' : ''}`,
    cam ? `CAM ${cam[i].toFixed(2)}` : 'no CAM yet',
    inMask === null ? 'no organ mask for this file' : inMask ? `inside the ${organ ?? 'organ'} mask` : `outside the ${organ ?? 'organ'} mask`,
  ];
  return `Voxel x ${x}, y ${y}, z ${z}: ${parts.join(' · ')}`;
}

/** The read-out line: the pointed-at voxel, or (atCrosshair) the slices' crossing point. */
export function showReadout(ui: Ui, vol: InputVolume | null, cam: Float32Array | null, p: Pos, atCrosshair: boolean): void {
  const el = ui.maybe('[data-readout]');
  if (!el || !vol) return;
  el.textContent = `${atCrosshair ? 'At the crosshair' : 'Under the pointer'} — ${readoutText(vol, cam, p)}`;
  el.dataset.pos = p.join(',');
  el.toggleAttribute('data-hovering', !atCrosshair);
}
