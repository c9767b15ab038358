/**
 * The canvas one phantom subject is painted on: HU and label volumes, body regions, patient
 * coordinates of every voxel (with the patient's roll on the table), smooth random fields for
 * textures, and painters for blobs and tubes with partial-volume edges.
 *
 * Patient coordinates (mm): X = lateral, +X = patient's LEFT; Y = antero-posterior, +Y =
 * POSTERIOR; Z = cranio-caudal, +Z = INFERIOR (z = 0 is the top of the scan).
 */
import { resizeTrilinear } from '../volume';
import { blobBox, blobQ, tubeBox, tubeQ, type Blob, type Box, type Tube, type V3 } from './geometry';
import { PHANTOM_SHAPE, PHANTOM_SPACING } from './acquisition';
import type { Rand } from './random';

export const REGION_OUT = 0, REGION_FAT = 1, REGION_WALL = 2, REGION_CAVITY = 3;
export type Where = 'cavity' | 'body' | 'any';
/** HU of a voxel at normalised depth q (< 1 inside), position and index; NaN leaves the voxel as it was. */
export type Shade = (q: number, X: number, Y: number, Z: number, i: number) => number;

export class Canvas {
  readonly D = PHANTOM_SHAPE[0];
  readonly H = PHANTOM_SHAPE[1];
  readonly W = PHANTOM_SHAPE[2];
  readonly N = this.D * this.H * this.W;
  readonly hu = new Float32Array(this.N).fill(-1000);
  readonly lab = new Uint8Array(this.N);
  readonly region = new Uint8Array(this.N);
  readonly Xs = new Float32Array(this.W);
  readonly Ys = new Float32Array(this.H);
  readonly Zs = new Float32Array(this.D);
  readonly cR: number;
  readonly sR: number;
  /**
   * Width of the partial-volume edge in mm: at an organ's surface a voxel is a mix of the organ
   * and what lies outside it, so borders are fuzzy rather than cut.
   */
  edgeMM = 2.5;
  /**
   * Where the organ being painted sits relative to its template place (body mm, [X, Y, Z]): set by
   * `displaced` around one organ's painter, so every part of the organ (lobes, hilum, lesions,
   * inner structure) moves together and the organ keeps its shape.
   */
  private offset: V3 = [0, 0, 0];

  constructor(public r: Rand, roll: number, public yBody: number) {
    const [sz, sy, sx] = PHANTOM_SPACING;
    for (let x = 0; x < this.W; x++) this.Xs[x] = (x + 0.5 - this.W / 2) * sx;
    for (let y = 0; y < this.H; y++) this.Ys[y] = (y + 0.5 - this.H / 2) * sy;
    for (let z = 0; z < this.D; z++) this.Zs[z] = (z + 0.5) * sz;
    this.cR = Math.cos(roll);
    this.sR = Math.sin(roll);
  }

  /** Paint with everything `paint` draws moved by `by` (mm); nested calls add up. */
  displaced(by: V3, painter: () => void): void {
    const before = this.offset;
    this.offset = [before[0] + by[0], before[1] + by[1], before[2] + by[2]];
    try {
      painter();
    } finally {
      this.offset = before;
    }
  }

  /** A smooth random field in [-1, 1] from a coarse gz×gy×gx grid, resized to the volume. */
  field(gz: number, gy: number, gx: number): Float32Array {
    const g = new Float32Array(gz * gy * gx);
    for (let i = 0; i < g.length; i++) g[i] = this.r.u(-1, 1);
    return resizeTrilinear(g, [gz, gy, gx], [this.D, this.H, this.W]);
  }

  /** Scan-space voxel ranges [a, b] covering a body-coordinate box (the patient is rolled). */
  private range(box: Box): [number, number, number, number, number, number] {
    const [sz, sy, sx] = PHANTOM_SPACING;
    const { cR, sR, W, H, D, yBody } = this;
    let sx0 = Infinity, sx1 = -Infinity, sy0 = Infinity, sy1 = -Infinity;
    for (const X of [box[0], box[1]])
      for (const Y of [box[2], box[3]]) {
        const xs = cR * X + sR * Y, ys = -sR * X + cR * Y;
        sx0 = Math.min(sx0, xs); sx1 = Math.max(sx1, xs); sy0 = Math.min(sy0, ys); sy1 = Math.max(sy1, ys);
      }
    return [
      Math.max(0, Math.floor(box[4] / sz - 0.5)), Math.min(D - 1, Math.ceil(box[5] / sz - 0.5)),
      Math.max(0, Math.floor((sy0 + yBody) / sy + H / 2 - 0.5)), Math.min(H - 1, Math.ceil((sy1 + yBody) / sy + H / 2 - 0.5)),
      Math.max(0, Math.floor(sx0 / sx + W / 2 - 0.5)), Math.min(W - 1, Math.ceil(sx1 / sx + W / 2 - 0.5)),
    ];
  }

  /**
   * Paint a shape: voxels with q < 1 get `shade` and `label`; with `edge` (q-units) the band
   * 1 ≤ q < 1 + edge is blended with what was there (partial volume), keeping its label.
   */
  paint(box: Box, q: (X: number, Y: number, Z: number) => number, shade: Shade, label: number, where: Where = 'cavity', edge = 0): void {
    const [ox, oy, oz] = this.offset;
    const [za, zb, ya, yb, xa, xb] = this.range([box[0] + ox, box[1] + ox, box[2] + oy, box[3] + oy, box[4] + oz, box[5] + oz]);
    const { hu, lab, region, Xs, Ys, Zs, cR, sR, H, W, yBody } = this;
    const lim = 1 + edge;
    for (let z = za; z <= zb; z++) {
      const Z = Zs[z] - oz;
      for (let y = ya; y <= yb; y++) {
        const Y0 = Ys[y] - yBody;
        let i = (z * H + y) * W + xa;
        for (let x = xa; x <= xb; x++, i++) {
          const rg = region[i];
          if (where === 'cavity' ? rg !== REGION_CAVITY : where === 'body' ? rg === REGION_OUT : false) continue;
          const X = cR * Xs[x] - sR * Y0 - ox, Y = sR * Xs[x] + cR * Y0 - oy;
          const qq = q(X, Y, Z);
          if (qq >= lim) continue;
          const v = shade(Math.min(qq, 0.999), X, Y, Z, i);
          if (v !== v) continue;
          if (qq < 1) {
            hu[i] = v;
            lab[i] = label;
            if (rg === REGION_OUT) region[i] = REGION_WALL;
          } else if (rg !== REGION_OUT) {
            const a = (lim - qq) / edge;
            hu[i] = hu[i] + 0.5 * a * (v - hu[i]);
          }
        }
      }
    }
  }

  /** edge width in q-units for a shape whose smallest half-axis is `r` mm */
  edgeFor(r: number): number {
    return this.edgeMM / Math.max(4, r);
  }

  paintBlob(bl: Blob, shade: Shade, label: number, where: Where = 'cavity', soft = true): void {
    this.paint(blobBox(bl), (X, Y, Z) => blobQ(bl, X, Y, Z), shade, label, where, soft ? this.edgeFor(Math.min(...bl.ax)) : 0);
  }

  paintTube(t: Tube, shade: Shade, label: number, where: Where = 'cavity', soft = true): void {
    this.paint(tubeBox(t), (X, Y, Z) => tubeQ(t, X, Y, Z), shade, label, where, soft ? this.edgeFor(Math.min(...t.rad)) : 0);
  }

  /** Small spheres (lesions, cysts) inside an organ's label only. */
  lesions(centre: V3, spread: V3, n: number, rMin: number, rMax: number, value: (i: number) => number, organLabel: number): void {
    const r = this.r;
    for (let j = 0; j < n; j++) {
      const c: V3 = [centre[0] + r.u(-1, 1) * spread[0], centre[1] + r.u(-1, 1) * spread[1], centre[2] + r.u(-1, 1) * spread[2]];
      const rad = r.u(rMin, rMax);
      this.paint([c[0] - rad, c[0] + rad, c[1] - rad, c[1] + rad, c[2] - rad, c[2] + rad], (X, Y, Z) => Math.hypot(X - c[0], Y - c[1], Z - c[2]) / rad,
        (_q, _X, _Y, _Z, i) => (this.lab[i] === organLabel ? value(i) : NaN), organLabel);
    }
  }
}
