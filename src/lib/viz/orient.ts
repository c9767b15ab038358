/**
 * The site's one slice orientation, radiological convention, shared by the explorer, the static
 * snapshots and the dataset montage. Volumes are C-order [z][y][x], S³, in the phantom's frame
 * (src/lib/data/phantom.ts): z = 0 is superior, y = 0 anterior, +x is the patient's LEFT.
 * - axial (fixed z): rows y (anterior at the top), columns x (patient's right on the image left);
 * - coronal (fixed y): rows z (superior at the top), columns x (right on the image left);
 * - sagittal (fixed x): rows z (superior at the top), columns y (anterior on the image left).
 * Pure TypeScript (browser + Node).
 */
export type View = 'axial' | 'coronal' | 'sagittal';
export const VIEWS: readonly View[] = ['axial', 'coronal', 'sagittal'];
/** A voxel position [z, y, x]. */
export type Pos = [number, number, number];

/** Which position component each view holds fixed: axial z (0), coronal y (1), sagittal x (2). */
export const VIEW_AXIS: Record<View, 0 | 1 | 2> = { axial: 0, coronal: 1, sagittal: 2 };

/** Anatomical direction at each edge of a slice image (R/L, A/P, S/I). */
export const SLICE_EDGES: Record<View, { top: string; bottom: string; left: string; right: string }> = {
  axial: { top: 'A', bottom: 'P', left: 'R', right: 'L' },
  coronal: { top: 'S', bottom: 'I', left: 'R', right: 'L' },
  sagittal: { top: 'S', bottom: 'I', left: 'A', right: 'P' },
};

const SWAP: Record<string, string> = { R: 'L', L: 'R', S: 'I', I: 'S', A: 'A', P: 'P' };

/**
 * The edges of a slice for a volume stored in orientation `o` (0 as acquired, 1 left–right mirrored,
 * 2 head–feet flipped, 3 both): the image is drawn as stored, so a mirrored volume has the patient's
 * right on the image right, and a flipped one the feet at the top.
 */
export function sliceEdges(view: View, o = 0): { top: string; bottom: string; left: string; right: string } {
  const e = SLICE_EDGES[view];
  const mirror = (o & 1) === 1;
  const flip = (o & 2) === 2;
  const f = (d: string) => ((mirror && (d === 'R' || d === 'L')) || (flip && (d === 'S' || d === 'I')) ? SWAP[d] : d);
  return { top: f(e.top), bottom: f(e.bottom), left: f(e.left), right: f(e.right) };
}

/** Direction of increasing voxel index along each array axis, for 3D axis titles. */
export const AXIS_DIRECTION = { x: ['R', 'L'], y: ['A', 'P'], z: ['S', 'I'] } as const;

/** Flat voxel index of pixel (row r, column c) of `view` through slice `at`. */
export function sliceVoxel(view: View, at: number, r: number, c: number, S: number): number {
  if (view === 'axial') return (at * S + r) * S + c;
  if (view === 'coronal') return (r * S + at) * S + c;
  return (r * S + c) * S + at;
}

/** An S×S slice as Float32 (row-major, rows top→bottom), values multiplied by `scale`. */
export function sliceOf(vol: ArrayLike<number>, S: number, view: View, at: number, scale = 1): Float32Array {
  const out = new Float32Array(S * S);
  for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) out[r * S + c] = vol[sliceVoxel(view, at, r, c, S)] * scale;
  return out;
}

/** Row and column at which the slice `view` shows the position `pos` (for crosshairs). */
export function posToPixel(view: View, pos: Pos): { row: number; col: number } {
  const [z, y, x] = pos;
  if (view === 'axial') return { row: y, col: x };
  if (view === 'coronal') return { row: z, col: x };
  return { row: z, col: y };
}

/** The position under pixel (row, col) of `view` drawn through `pos` (a click on a slice). */
export function pixelToPos(view: View, pos: Pos, row: number, col: number, S: number): Pos {
  const r = Math.max(0, Math.min(S - 1, Math.floor(row)));
  const c = Math.max(0, Math.min(S - 1, Math.floor(col)));
  const [z, y, x] = pos;
  if (view === 'axial') return [z, r, c];
  if (view === 'coronal') return [r, y, c];
  return [r, c, x];
}

/** Centre of mass of a 0/1 mask (rounded voxel position), null for an empty or absent mask. */
export function maskCentre(mask: ArrayLike<number> | null, S: number): Pos | null {
  if (!mask) return null;
  let n = 0, sz = 0, sy = 0, sx = 0;
  for (let z = 0; z < S; z++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    if (mask[(z * S + y) * S + x]) { n++; sz += z; sy += y; sx += x; }
  }
  return n ? [Math.round(sz / n), Math.round(sy / n), Math.round(sx / n)] : null;
}
