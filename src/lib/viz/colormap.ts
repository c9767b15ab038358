/**
 * Colormaps as 256-entry RGB lookup tables (pure TypeScript, browser + Node). The static snapshots
 * and the explorer share them, so a CAM looks the same on every page.
 */
export type ColormapName = 'inferno' | 'gray';

/** The site's one heat-map colormap (perceptual, readable in gray print): slices, 3D, snapshots, colour bars. */
export const CAM_COLORMAP: ColormapName = 'inferno';
/** The organ mask's outline colour: cyan, a hue no inferno level comes near. */
export const MASK_RGB: [number, number, number] = [0, 229, 255];
export const MASK_CSS = `rgb(${MASK_RGB.join(' ')})`;

type Stop = [number, number, number, number];

// matplotlib's inferno sampled at 9 points (t, r, g, b); linear interpolation in between.
const INFERNO: Stop[] = [
  [0.0, 0, 0, 4],
  [0.125, 31, 12, 72],
  [0.25, 85, 15, 109],
  [0.375, 136, 34, 106],
  [0.5, 186, 54, 85],
  [0.625, 227, 89, 51],
  [0.75, 249, 140, 10],
  [0.875, 249, 201, 50],
  [1.0, 252, 255, 164],
];

const GRAY: Stop[] = [
  [0, 0, 0, 0],
  [1, 255, 255, 255],
];

const STOPS: Record<ColormapName, Stop[]> = { inferno: INFERNO, gray: GRAY };
const cache = new Map<ColormapName, Uint8Array>();

/** 256×3 RGB lookup table of a colormap. */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = cache.get(name);
  if (lut) return lut;
  const stops = STOPS[name];
  if (!stops) throw new RangeError(`unknown colormap '${name}'`);
  lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 0;
    while (k < stops.length - 2 && t > stops[k + 1][0]) k++;
    const [t0, r0, g0, b0] = stops[k];
    const [t1, r1, g1, b1] = stops[k + 1];
    const f = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : 0;
    lut[i * 3] = Math.round(r0 + (r1 - r0) * f);
    lut[i * 3 + 1] = Math.round(g0 + (g1 - g0) * f);
    lut[i * 3 + 2] = Math.round(b0 + (b1 - b0) * f);
  }
  cache.set(name, lut);
  return lut;
}

/** Colour of t ∈ [0,1] (clamped; NaN → 0) as [r, g, b] bytes. */
export function colormap(name: ColormapName, t: number): [number, number, number] {
  const lut = colormapLut(name);
  const i = Number.isFinite(t) ? Math.round(Math.min(1, Math.max(0, t)) * 255) : 0;
  return [lut[i * 3], lut[i * 3 + 1], lut[i * 3 + 2]];
}

/** CSS colour string of t ∈ [0,1] (the explorer's colour bar). */
export function colormapCss(name: ColormapName, t: number): string {
  const [r, g, b] = colormap(name, t);
  return `rgb(${r} ${g} ${b})`;
}

/** Plotly colorscale ([[t, 'rgb(...)'], ...]) with n stops. */
export function plotlyColorscale(name: ColormapName, n = 11): Array<[number, string]> {
  return Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    const [r, g, b] = colormap(name, t);
    return [t, `rgb(${r},${g},${b})`] as [number, string];
  });
}
