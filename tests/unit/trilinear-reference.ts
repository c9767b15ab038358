/** The align_corners=False formula, written out independently of src/. */
export function directTrilinear(src: Float32Array, [d, h, w]: number[], [D, H, W]: number[]): Float32Array {
  const coord = (o: number, n: number, N: number) => {
    const s = Math.max(0, ((o + 0.5) * n) / N - 0.5);
    const a = Math.min(Math.floor(s), n - 1);
    const b = Math.min(a + 1, n - 1);
    return [a, b, b === a ? 0 : s - a] as const;
  };
  const out = new Float32Array(D * H * W);
  for (let z = 0; z < D; z++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const [z0, z1, fz] = coord(z, d, D);
        const [y0, y1, fy] = coord(y, h, H);
        const [x0, x1, fx] = coord(x, w, W);
        let v = 0;
        for (const [zz, wz] of [[z0, 1 - fz], [z1, fz]])
          for (const [yy, wy] of [[y0, 1 - fy], [y1, fy]])
            for (const [xx, wx] of [[x0, 1 - fx], [x1, fx]]) v += wz * wy * wx * src[(zz * h + yy) * w + xx];
        out[(z * H + y) * W + x] = v;
      }
  return out;
}
