/**
 * One subject's anatomy parameters (habitus, height, position on the table), its contrast-timed
 * tissue values and the shared texture fields, handed to every painter in body.ts and organs.ts.
 */
import { NUM_CLASSES } from '../labels';
import { tissueHU, type Acquisition, type Tissue } from './acquisition';
import { Canvas } from './canvas';
import type { V3 } from './geometry';
import type { Rand } from './random';

/** Label-map value of bones that are not a class (spine, ribs, pelvis, sacrum, humerus). */
export const BONE_LABEL = NUM_CLASSES + 1; // 12

/** SD of each organ's own HU offset within a subject (on top of the contrast timing). */
export const ORGAN_HU_SD = 20;

export interface Anatomy {
  c: Canvas;
  r: Rand;
  acq: Acquisition;
  /** body half-width and half-depth (mm), subcutaneous fat and muscle wall thickness */
  a: number;
  b: number;
  fat: number;
  wall: number;
  /** cranio-caudal scale and shift: template mm → scan mm */
  zs: number;
  z0: number;
  Zp: (z: number) => number;
  /** body half-width at scan Z */
  halfW: (Z: number) => number;
  /** vertebral body centre Y, first thigh slice (scan Z) */
  ySp: number;
  zThigh: number;
  muscleHU: number;
  /** a tissue's HU at this scan's contrast timing, plus an organ's own offset N(0, ORGAN_HU_SD·spread) */
  tissue: (t: Tissue, spread?: number) => number;
  /** smooth random fields in [-1, 1]: coarse (bowel, gas), vessel pairs, fine texture */
  f: { bowel: Float32Array; gas: Float32Array; vesA: Float32Array; vesB: Float32Array; airA: Float32Array; airB: Float32Array; tex: Float32Array; mottle: Float32Array };
  texAmp: number;
  findings: string[];
  /** ascites: free fluid in the abdomen (0 none; else a field threshold in (-0.5, 0.7): more fluid the higher) */
  ascites: number;
  /** cirrhosis: small nodular liver, heterogeneous, with ascites more often */
  cirrhosis: boolean;
  /** position jitter: N(0, sd) clipped to ±clip mm */
  jp: (sd?: number, clip?: number) => number;
  jit: (s: number) => number;
  /** uniform rotation angle in ±max (radians) */
  rot: (max?: number) => number;
  femurHead: V3;
}

/** organ index → label value */
export const L = (k: number): number => k + 1;

export function drawAnatomy(r: Rand, acq: Acquisition): Anatomy {
  const a = r.u(128, 188);
  const b = r.u(84, 126);
  const fat = r.u(5, 42);
  const wall = r.u(8, 15);
  const zs = r.u(0.9, 1.1);
  const z0 = r.u(-45, 25);
  const Zp = (z: number) => z0 + z * zs;
  const yBody = r.u(-6, 6);
  const roll = r.u(-0.2, 0.2); // not perfectly straight on the table: ±11°
  const c = new Canvas(r, roll, yBody);
  const halfW = (Z: number): number => {
    const t = (Z - z0) / zs;
    if (t < 60) return a * (0.86 + 0.14 * (Math.max(0, t) / 60));
    if (t < 270) return a;
    if (t < 400) return a * (1 - 0.05 * Math.sin(((t - 270) / 130) * Math.PI));
    return a * 1.04;
  };
  const tissue = (t: Tissue, spread = 1) => tissueHU(t, acq.contrastSeconds, acq.contrastDose) + r.n(0, ORGAN_HU_SD * spread);
  const jp = (sd = 9, clip = 25) => Math.max(-clip, Math.min(clip, r.n(0, sd)));
  const f = {
    bowel: c.field(22, 14, 20),
    gas: c.field(26, 16, 24),
    vesA: c.field(30, 20, 28),
    vesB: c.field(30, 20, 28),
    airA: c.field(16, 10, 14),
    airB: c.field(16, 10, 14),
    tex: c.field(48, 30, 42),
    mottle: c.field(64, 40, 56),
  };
  const findings: string[] = [];
  const cirrhosis = r.chance(0.1);
  const ascites = r.chance(cirrhosis ? 0.6 : 0.1) ? r.u(-0.5, 0.7) : 0;
  if (cirrhosis) findings.push('cirrhosis');
  if (ascites) findings.push('ascites');
  const femurHead: V3 = [a * 0.55 + jp(5, 12), jp(4, 10), Zp(545) + jp(6, 15)];
  return {
    c, r, acq, a, b, fat, wall, zs, z0, Zp, halfW,
    ySp: b * 0.52,
    zThigh: Zp(585),
    muscleHU: tissue('muscle', 0.5),
    tissue,
    f,
    texAmp: r.u(5, 14),
    findings,
    ascites,
    cirrhosis,
    jp,
    jit: (s: number) => r.n(0, s),
    rot: (max = 0.26) => r.u(-max, max),
    femurHead,
  };
}

/** Vessel network inside an organ: where two smooth fields are both near zero (a mesh of curves), thicker with `w`. */
export function vesselAt(an: Anatomy, i: number, w: number): boolean {
  return Math.abs(an.f.vesA[i]) < w && Math.abs(an.f.vesB[i]) < w;
}
