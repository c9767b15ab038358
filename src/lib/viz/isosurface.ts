/**
 * Isosurfaces as triangle meshes (marching tetrahedra: each grid cube split into 6 tetrahedra
 * along its main diagonal, no lookup tables). The explorer computes its 3D surfaces here and hands
 * plotly plain mesh3d traces: plotly's own isosurface trace re-meshes every surface of the figure
 * on any restyle (0.5–2 s in software GL), while a cached mesh costs nothing to show again.
 * Pure TypeScript. Volumes are C-order [z][y][x], n³; output coordinates are in voxel units of an
 * S³ volume sampled at cell centres ((i + 0.5) · S / n), plotly x = voxel x, y = y, z = z.
 */
export interface Mesh {
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  /** triangle corner indices */
  i: Uint32Array;
  j: Uint32Array;
  k: Uint32Array;
  /** per vertex: the level its surface belongs to */
  intensity: Float32Array;
}

// cube corners (dz, dy, dx) and the 6 tetrahedra sharing the diagonal 0–6
const CORNERS = [[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 1], [1, 1, 0]];
const TETS = [[0, 5, 1, 6], [0, 1, 2, 6], [0, 2, 3, 6], [0, 3, 7, 6], [0, 7, 4, 6], [0, 4, 5, 6]];

/** Surfaces of `vol` (n³) at each of `levels`; scale maps grid index to output units (S / n). */
export function isosurfaces(vol: ArrayLike<number>, n: number, levels: readonly number[], scale = 1): Mesh {
  const px: number[] = [], py: number[] = [], pz: number[] = [], lv: number[] = [];
  const val = new Float64Array(8);
  const pos = new Float64Array(24);
  const emit = (a: number, b: number, iso: number, level: number) => {
    const va = val[a], vb = val[b];
    const t = va === vb ? 0.5 : (iso - va) / (vb - va);
    px.push((pos[a * 3 + 2] + t * (pos[b * 3 + 2] - pos[a * 3 + 2]) + 0.5) * scale);
    py.push((pos[a * 3 + 1] + t * (pos[b * 3 + 1] - pos[a * 3 + 1]) + 0.5) * scale);
    pz.push((pos[a * 3] + t * (pos[b * 3] - pos[a * 3]) + 0.5) * scale);
    lv.push(level);
  };
  for (const iso of levels) {
    for (let z = 0; z < n - 1; z++)
      for (let y = 0; y < n - 1; y++)
        for (let x = 0; x < n - 1; x++) {
          let any = 0, all = 1;
          for (let c = 0; c < 8; c++) {
            const [dz, dy, dx] = CORNERS[c];
            const v = vol[((z + dz) * n + y + dy) * n + x + dx];
            val[c] = v;
            pos[c * 3] = z + dz; pos[c * 3 + 1] = y + dy; pos[c * 3 + 2] = x + dx;
            if (v >= iso) any = 1;
            else all = 0;
          }
          if (!any || all) continue;
          for (const t of TETS) {
            const ins = t.filter((c) => val[c] >= iso);
            const out = t.filter((c) => val[c] < iso);
            if (ins.length === 0 || ins.length === 4) continue;
            if (ins.length === 1 || ins.length === 3) {
              const [p, q] = ins.length === 1 ? [ins[0], out] : [out[0], ins];
              for (const o of q) emit(p, o, iso, iso);
            } else {
              const [a, b] = ins, [c, d] = out;
              emit(a, c, iso, iso); emit(a, d, iso, iso); emit(b, d, iso, iso);
              emit(a, c, iso, iso); emit(b, d, iso, iso); emit(b, c, iso, iso);
            }
          }
        }
  }
  const nv = px.length;
  const idx = (o: number) => Uint32Array.from({ length: nv / 3 }, (_, t) => t * 3 + o);
  return { x: Float32Array.from(px), y: Float32Array.from(py), z: Float32Array.from(pz), i: idx(0), j: idx(1), k: idx(2), intensity: Float32Array.from(lv) };
}
