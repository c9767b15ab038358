/** Bones (BONE_LABEL: spine, ribs, pelvis, sacrum, arms) and muscles (context). Femurs are organs: see organs.ts. */
import { BONE_LABEL, type Anatomy } from './anatomy';
import { tubeQ, makeBlob, type Tube, type V3 } from './geometry';

/** Cortical shell and trabecular inside, with texture: bone that is not a flat 700 HU. */
function boneHU(an: Anatomy, q: number, shell: number, i: number): number {
  return q > shell ? 650 + 150 * an.f.tex[i] : 200 + 80 * an.f.mottle[i];
}

/** Arms down at the sides (in the field of view) or raised out of it. */
export function paintArms(an: Anatomy): void {
  if (!an.acq.armsDown) return;
  const { c, r, a, Zp, jit, muscleHU } = an;
  for (const side of [-1, 1]) {
    const ax = a + r.u(30, 55);
    const arm: Tube = { side, pts: [[ax, jit(8), Zp(70)], [ax + r.u(-5, 10), jit(10), Zp(250)], [ax + r.u(-5, 15), jit(12), Zp(420)]], rad: [42, 36, 30] };
    c.paintTube(arm, (q) => (q > 0.78 ? -100 : muscleHU), 0, 'any');
    c.paintTube({ side, pts: [arm.pts[0], arm.pts[1]], rad: [12, 10] }, (q, _X, _Y, _Z, i) => boneHU(an, q, 0.6, i), BONE_LABEL, 'body');
    c.paintTube({ side, pts: [arm.pts[1], arm.pts[2]], rad: [8, 7] }, (q, _X, _Y, _Z, i) => boneHU(an, q, 0.6, i), BONE_LABEL, 'body');
  }
}

/** Vertebral bodies with irregular disc spacing, canal and posterior arch. Returns the last lumbar level (scan Z). */
export function paintSpine(an: Anatomy): number {
  const { c, r, zs, Zp, ySp } = an;
  const discLut = new Uint8Array(Math.ceil(c.D * 5) + 1);
  let zc = Zp(-20) + r.u(0, 20);
  while (zc < discLut.length) {
    const h = r.u(22, 33) * zs, dsk = r.u(5, 9);
    for (let zz = Math.max(0, Math.floor(zc)); zz < Math.min(discLut.length, Math.ceil(zc + dsk)); zz++) discLut[zz] = 1;
    zc += h + dsk;
  }
  const isDisc = (Z: number) => discLut[Math.max(0, Math.min(discLut.length - 1, Math.floor(Z)))] === 1;
  const spineZ1 = Zp(470);
  const vb: Tube = { side: 1, pts: [[0, ySp - 6, 0], [0, ySp, Zp(200)], [0, ySp - 8, Zp(420)], [0, ySp + 5, spineZ1]], rad: [15, 17, 20, 19] };
  c.paintTube(vb, (q, _X, _Y, Z, i) => (isDisc(Z) ? 85 : boneHU(an, q, 0.8, i)), BONE_LABEL, 'body');
  const canal: Tube = { side: 1, pts: [[0, ySp + 22, 0], [0, ySp + 26, Zp(420)], [0, ySp + 30, spineZ1]], rad: [8, 8, 6] };
  const arch: Tube = { side: 1, pts: canal.pts, rad: [15, 15, 12] };
  c.paintTube(arch, (_q, _X, Y, Z) => (isDisc(Z) || isDisc(Z - 3) ? NaN : Y > ySp + 18 ? 650 : NaN), BONE_LABEL, 'body', false);
  c.paintTube(canal, () => 15, 0, 'body', false);
  const sp: Tube = { side: 1, pts: [[0, ySp + 34, 0], [0, ySp + 50, 0]], rad: [5, 4] };
  c.paint([-8, 8, ySp + 28, ySp + 56, 0, spineZ1], (X, Y) => tubeQ(sp, X, Y, 0), (_q, _X, _Y, Z) => (isDisc(Z) || isDisc(Z - 5) ? NaN : 600), BONE_LABEL, 'body');
  return spineZ1;
}

/** Ribs: separate arcs with irregular spacing in the wall/cavity boundary; lower ribs stop further back. */
export function paintRibs(an: Anatomy): void {
  const { c, r, a, b, fat, wall, zs, Zp, jit } = an;
  let zr = Zp(55) + jit(5);
  for (let j = 0; j < 11; j++) {
    const zrj = zr;
    const reach = j < 7 ? -0.9 + r.u(-0.05, 0.1) : -0.9 + (j - 6) * 0.25 + r.u(-0.1, 0.1);
    c.paint([-a * 1.05, a * 1.05, -b, b, zrj - 10, zrj + 55], (X, Y, Z) => {
      const aw = an.halfW(Z) - fat - wall * 0.5, bw = b - fat - wall * 0.5;
      const ny = Y / bw;
      if (ny < reach || Math.abs(X) < 25) return 2;
      const rr = Math.sqrt((X / aw) ** 2 + ny * ny);
      const dz = Z - (zrj + 38 * (1 - ny) * 0.5);
      return Math.hypot(((rr - 1) * (aw + bw)) / 2 / 6, dz / 6);
    }, (q) => (q > 0.55 ? 700 : 250), BONE_LABEL, 'body');
    zr += r.u(22, 30) * zs;
  }
}

/** Iliac wings, acetabula, pubic rami and sacrum: the bony ring around the bladder and femoral heads. */
export function paintPelvis(an: Anatomy, spineZ1: number): void {
  const { c, r, a, b, Zp, ySp, jit, rot, femurHead } = an;
  for (const side of [-1, 1]) {
    const ilium = makeBlob(r, side, [a * 0.5 + jit(4), b * 0.3, Zp(460)], [9, 55, 50], [0.75 + rot(0.1), 0.25, 0.1], 2, 0.05, 0.1);
    c.paintBlob(ilium, (q, _X, _Y, _Z, i) => boneHU(an, q, 0.6, i), BONE_LABEL, 'body');
    const fh: V3 = [femurHead[0], femurHead[1], femurHead[2]];
    c.paint([side * fh[0] - 40, side * fh[0] + 40, fh[1] - 40, fh[1] + 40, fh[2] - 40, fh[2] + 40], (X, Y, Z) => {
      const d = Math.hypot(side * X - fh[0], Y - fh[1], Z - fh[2]);
      return side * X - fh[0] > 8 || Z - fh[2] > 10 ? 2 : Math.abs(d - 30) / 6;
    }, (q) => (q > 0.5 ? 750 : 350), BONE_LABEL, 'body');
    const ramus: Tube = { side, pts: [[8, -b * 0.6, Zp(560)], [a * 0.45, -b * 0.2, Zp(550)]], rad: [9, 10] };
    c.paintTube(ramus, (q, _X, _Y, _Z, i) => boneHU(an, q, 0.6, i), BONE_LABEL, 'body');
  }
  const sac: Tube = { side: 1, pts: [[0, ySp + 5, spineZ1], [0, ySp + 25, Zp(530)], [0, ySp + 45, Zp(575)]], rad: [30, 24, 10] };
  c.paintTube(sac, (q, _X, _Y, _Z, i) => boneHU(an, q, 0.75, i), BONE_LABEL, 'body');
}

/** Paraspinal muscles, psoas and iliacus (context beside kidneys and bladder). */
export function paintMuscles(an: Anatomy): void {
  const { c, r, Zp, ySp, muscleHU, texAmp, f } = an;
  for (const side of [-1, 1]) {
    const para: Tube = { side, pts: [[30, ySp + 40, Zp(120)], [34, ySp + 40, Zp(480)]], rad: [20, 24] };
    const fatty = r.u(0, 0.3); // fatty infiltration with age
    c.paintTube(para, (_q, _X, _Y, _Z, i) => (f.mottle[i] > 1 - fatty ? -60 : muscleHU + texAmp * f.tex[i]), 0, 'body');
    const ps = r.u(0.8, 1.25);
    const psoas: Tube = { side, pts: [[22, ySp - 2, Zp(360)], [34, ySp - 8, Zp(440)], [45, ySp - 30, Zp(520)], [55, ySp - 45, Zp(560)]], rad: [8 * ps, 18 * ps, 20 * ps, 16 * ps] };
    c.paintTube(psoas, (_q, _X, _Y, _Z, i) => muscleHU + texAmp * f.tex[i], 0);
  }
}
