/**
 * The eleven classified organs (and the context organs painted with them: stomach,
 * gallbladder, duodenum, pelvic organs), each with its inner structure and texture:
 * liver vessels and lesions, kidney cortex / medullary pyramids / pelvis and sinus fat,
 * femoral cortex, trabecular head and marrow, heart chambers, splenic enhancement, pancreatic
 * lobulation. Every shape varies per subject beyond scaling (geometry.ts: per-axis scale,
 * lobulation, bending). Left/right pairs are drawn from ONE distribution in a mirrored frame,
 * so only anatomy (hilum direction, neck direction, neighbours) tells the side.
 */
import { L, vesselAt, type Anatomy } from './anatomy';
import { blobBox, blobQ, boxUnion, makeBlob, type Tube, type V3 } from './geometry';

/** Heart (6): myocardium, left chambers with arterial blood, right chambers with venous blood, pericardial fat. */
export function paintHeart(an: Anatomy): void {
  const { c, r, a, b, Zp, jp, rot, f } = an;
  const s = r.u(0.85, 1.2);
  const bl = makeBlob(r, 1, [a * 0.1 + jp(), -b * 0.3 + jp(7, 18), Zp(215) + jp()], [52 * s, 42 * s, 52 * s], [0.6 + rot(0.4), 0.25 + rot(0.3), rot(0.3)], 3, 0.07);
  const myo = an.tissue('myo'), art = an.tissue('artery', 0.5), ven = an.tissue('vein', 0.5);
  const fatRim = r.u(0.88, 0.97);
  const wallT = r.u(0.62, 0.75);
  c.paintBlob(bl, (q, _X, _Y, _Z, i) => {
    const u = bl.u;
    if (q > fatRim) return -80 + 20 * f.tex[i]; // epicardial fat
    if (q > wallT) return myo + 0.5 * an.texAmp * f.tex[i];
    // septum between right (u[0] < 0 in the heart's frame) and left chambers
    if (Math.abs(u[0] + 0.1 * u[2]) < 0.08) return myo;
    const left = u[0] > 0;
    if (!left && f.mottle[i] > 0.6 && an.acq.contrastSeconds > 0) return 0.5 * (ven + art); // mixing in the right atrium
    return left ? art : ven;
  }, L(6));
}

/** Stomach (context): rugal wall, fluid or food, air–fluid level; oral contrast when given. */
export function paintStomach(an: Anatomy): void {
  const { c, r, a, b, Zp, jp, rot, f, acq } = an;
  const s = r.u(0.6, 1.4);
  const bl = makeBlob(r, 1, [a * 0.3 + jp(), -b * 0.3 + jp(), Zp(285) + jp()], [38 * s, 30 * s, 40 * s], [rot(0.5), rot(), rot()], 3, 0.08);
  const gasTop = bl.c[1] - bl.ax[1] * r.u(0.1, 1.0);
  const content = acq.oralContrast ? r.u(100, 300) : r.u(5, 40);
  const food = r.chance(0.3);
  const wallHU = an.tissue('bowelWall', 0.5);
  c.paintBlob(bl, (q, _X, Y, _Z, i) => (q > 0.85 - 0.05 * f.tex[i] ? wallHU : Y < gasTop ? -950 : food ? 20 + 60 * f.mottle[i] : content), 0);
}

/** Liver (0): right and left lobes (their ratio varies), optional Riedel lobe, portal/hepatic vessels, lesions; gallbladder. */
export function paintLiver(an: Anatomy): void {
  const { c, r, a, b, zs, Zp, jp, jit, rot, f } = an;
  const s = r.u(0.78, 1.3) * (an.cirrhosis ? 0.8 : 1);
  const dz = jp();
  const right = makeBlob(r, 1, [-a * 0.36 + jp(), -b * 0.02 + jp(7, 18), Zp(300) + dz], [a * 0.42 * s, b * 0.72 * Math.sqrt(s), 72 * zs * s], [rot(0.35), rot(0.3), rot(0.3)], an.cirrhosis ? 9 : 5, an.cirrhosis ? 0.12 : 0.09);
  const left = makeBlob(r, 1, [a * 0.05 + jp(), -b * 0.42 + jp(6, 15), Zp(280) + dz + jit(5)], [a * 0.33 * s * r.u(0.45, 1.25), b * 0.28, 38 * s], [rot(), rot(), rot()], 3, 0.08);
  const riedel = r.chance(0.15)
    ? makeBlob(r, 1, [-a * 0.5 + jp(), b * 0.0 + jp(), Zp(370) + dz], [a * 0.14, b * 0.3, 40 * zs], [rot(), rot(), rot()], 2, 0.06)
    : null;
  const fatty = r.chance(0.12);
  if (fatty) an.findings.push('fatty-liver');
  const liverHU = fatty ? an.tissue('liver') - r.u(40, 80) : an.tissue('liver');
  const t = an.acq.contrastSeconds;
  const portal = an.tissue('portal', 0.5);
  // vessels: hypodense without contrast, faint in the arterial phase, bright once the portal vein fills
  const vesselHU = t === 0 ? liverHU - 18 : t < 45 ? liverHU + 0.15 * (portal - liverHU) : portal;
  const hilum: V3 = [-a * 0.2, -b * 0.05, Zp(320)];
  let box = boxUnion(blobBox(right), blobBox(left));
  if (riedel) box = boxUnion(box, blobBox(riedel));
  c.paint(box, (X, Y, Z) => Math.min(blobQ(right, X, Y, Z), blobQ(left, X, Y, Z), riedel ? blobQ(riedel, X, Y, Z) : 9), (_q, X, Y, Z, i) => {
    const near = Math.exp(-Math.hypot(X - hilum[0], Y - hilum[1], Z - hilum[2]) / 70);
    if (vesselAt(an, i, 0.08 + 0.22 * near)) return vesselHU;
    return liverHU + 0.7 * an.texAmp * f.tex[i] + (an.cirrhosis ? 25 * f.mottle[i] : 0); // regenerative nodules
  }, L(0), 'cavity', c.edgeFor(30));
  if (r.chance(0.35)) {
    an.findings.push('liver-lesion');
    const cyst = r.chance(0.4);
    c.lesions([right.c[0], right.c[1], right.c[2]], [right.ax[0] * 0.5, right.ax[1] * 0.5, right.ax[2] * 0.5], 1 + Math.floor(r.u(0, 4)), 5, 22, () => (cyst ? 8 : liverHU - r.u(25, 70)), L(0));
  }
  const gb = makeBlob(r, 1, [-a * 0.22 + jp(), -b * 0.45 + jp(), Zp(335) + jp()], [14 * r.u(0.6, 1.4), 14, 24 * r.u(0.6, 1.4)], [rot(0.5), rot(), rot()], 2, 0.05);
  c.paintBlob(gb, (q) => (q > 0.88 ? an.tissue('bowelWall', 0.3) : 8), 0);
}

/** Spleen (9): lobulated, notched; heterogeneous (arciform) in the arterial phase, homogeneous later. */
export function paintSpleen(an: Anatomy): void {
  const { c, r, a, b, Zp, jp, rot, f } = an;
  const s = r.u(0.7, 1.45);
  if (s > 1.3) an.findings.push('splenomegaly');
  const bl = makeBlob(r, 1, [a * 0.6 + jp(), b * 0.32 + jp(), Zp(295) + jp()], [24 * Math.sqrt(s), 50 * s, 50 * s], [-0.6 + rot(0.4), rot(0.35), rot(0.35)], 5, 0.1);
  const spHU = an.tissue('spleen');
  const t = an.acq.contrastSeconds;
  const zebra = t > 0 && t < 50 ? r.u(25, 55) : 0;
  const hilumHU = an.tissue('vein', 0.3);
  c.paintBlob(bl, (q, _X, _Y, _Z, i) => {
    const u = bl.u;
    // hilum on the medial concave face: vessels entering
    if (u[0] < -0.55 && Math.abs(u[2]) < 0.25 && q > 0.7) return q > 0.85 ? -70 : hilumHU;
    return spHU + zebra * Math.sin(9 * f.gas[i]) + 0.6 * an.texAmp * f.tex[i];
  }, L(9));
}

/**
 * Kidneys (1 right, 2 left): cortex, medullary pyramids, sinus fat and pelvis at the antero-medial hilum; cysts.
 * `shift` (body mm) moves the pair: its lateral part mirrored (both kidneys further out or further
 * in: the psoas and the back wall bound them), its cranio-caudal part shared, plus each side's own.
 */
export function paintKidneys(an: Anatomy, shift: V3 = [0, 0, 0]): void {
  const { c, r, a, b, zs, Zp, jp, rot, f } = an;
  const s = r.u(0.82, 1.2);
  const nPyr = 5 + Math.floor(r.u(0, 4));
  for (const [side, k] of [[-1, 1], [1, 2]] as const) c.displaced([side * shift[0], shift[1], shift[2]], () => {
    const sk = s * r.u(0.9, 1.1) * (r.chance(0.05) ? 0.65 : 1); // an atrophic kidney now and then
    // the right kidney lies lower (under the liver)
    const zc = Zp(side < 0 ? 378 : 365) + jp(10, 25);
    const bl = makeBlob(r, side, [a * 0.4 + jp(7, 18), b * 0.36 + jp(6, 15), zc], [26 * sk, 24 * sk, 52 * zs * sk], [0.45 + rot(0.4), 0.2 + rot(0.35), rot(0.35)], 4, 0.07, 0.15);
    const cortex = an.tissue('cortex'), medulla = an.tissue('medulla'), pelvis = an.tissue('pelvis', 0.5);
    const ph = r.u(0, Math.PI);
    const sinus = r.u(0.3, 0.45);
    const hydro = r.chance(0.08); // dilated collecting system: a fluid-filled centre
    if (hydro) an.findings.push(k === 1 ? 'hydronephrosis-right' : 'hydronephrosis-left');
    c.paintBlob(bl, (q, _X, _Y, _Z, i) => {
      const u = bl.u;
      // hilum on the medial side of the local frame (u[0] < 0 after mirroring): sinus fat + collecting system
      if (u[0] < -sinus && Math.abs(u[2]) < 0.4 && q < 0.97) return u[0] < -0.6 ? -80 + 20 * f.tex[i] : pelvis;
      if (hydro ? q < 0.6 && u[0] < 0.35 : q < 0.28 && u[0] < 0) return hydro ? 8 + 5 * f.tex[i] : pelvis;
      if (q > 0.66) return cortex + 0.4 * an.texAmp * f.tex[i];
      // pyramids of medulla separated by columns of cortex
      const ang = Math.atan2(u[1], u[2]);
      return Math.cos(nPyr * ang + ph) > 0.55 - 0.3 * q ? cortex : medulla + 0.4 * an.texAmp * f.tex[i];
    }, L(k));
    if (r.chance(0.25)) {
      an.findings.push(k === 1 ? 'kidney-cyst-right' : 'kidney-cyst-left');
      c.lesions([side * bl.c[0], bl.c[1], bl.c[2]], [10, 10, 25], 1, 5, 14, () => 5, L(k));
    }
  });
}

/** Pancreas (10): head in the duodenal C-loop → tail at the splenic hilum; lobulated with fatty clefts. */
export function paintPancreas(an: Anatomy): void {
  const { c, r, a, b, Zp, jp, f } = an;
  const s = r.u(0.75, 1.25);
  const t: Tube = {
    side: 1,
    pts: [
      [-a * 0.18 + jp(6, 15), b * 0.02 + jp(5, 12), Zp(385) + jp(7, 18)],
      [-a * 0.02 + jp(5, 12), -b * 0.12 + jp(5, 12), Zp(362) + jp(6, 15)],
      [a * 0.24 + jp(6, 15), -b * 0.02 + jp(5, 12), Zp(350) + jp(6, 15)],
      [a * 0.46 + jp(7, 18), b * 0.22 + jp(6, 15), Zp(330) + jp(7, 18)],
    ],
    rad: [17 * s * r.u(0.8, 1.2), 11 * s, 11 * s * r.u(0.8, 1.2), 9 * s],
  };
  // duodenum: C-loop around the head (context)
  const h = t.pts[0];
  const duo: Tube = { side: 1, pts: [[h[0] + 10, h[1] - 25, h[2] - 35], [h[0] - 28, h[1], h[2] - 20], [h[0] - 30, h[1] + 5, h[2] + 15], [h[0] + 5, h[1] + 10, h[2] + 38], [h[0] + 40, h[1] + 5, h[2] + 40]], rad: [12, 13, 13, 12, 11] };
  const fluid = an.acq.oralContrast ? r.u(100, 300) : r.u(0, 30);
  c.paintTube(duo, (q, _X, _Y, _Z, i) => (q > 0.72 ? an.tissue('bowelWall', 0.3) : f.gas[i] > 0.5 ? -900 : fluid), 0);
  const pHU = an.tissue('pancreas');
  const fatThr = r.u(0.25, 0.6); // fatty interdigitation (more with age)
  c.paintTube(t, (_q, _X, _Y, _Z, i) => (f.mottle[i] > fatThr ? -50 + 30 * f.tex[i] : pHU + an.texAmp * f.tex[i]), L(10));
}

/** Bladder (5): wall, urine (dependent contrast layer when excreted), variable filling; prostate or uterus behind/below. */
export function paintBladder(an: Anatomy): void {
  const { c, r, b, Zp, jp, rot, muscleHU } = an;
  const fill = r.chance(0.2) ? r.u(0.35, 0.55) : r.u(0.55, 1.4); // sometimes nearly empty, thick-walled
  const bl = makeBlob(r, 1, [jp(6, 15), -b * 0.35 + jp(6, 15), Zp(535) + jp()], [40 * fill, 32 * fill, 30 * fill], [rot(), rot(), rot()], 3, 0.09);
  const urine = an.tissue('urine', 0.3);
  const layer = bl.c[1] + bl.ax[1] * r.u(0.2, 0.8);
  const excreted = an.acq.contrastSeconds > 150;
  const layerHU = urine + r.u(100, 400);
  const wallT = 1 - r.u(0.05, 0.16) / Math.sqrt(fill);
  c.paintBlob(bl, (q, _X, Y) => (q > wallT ? muscleHU - 10 : excreted && Y > layer ? layerHU : urine), L(5), 'body');
  const male = r.chance(0.5);
  const org = makeBlob(r, 1, [jp(4, 8), bl.c[1] + bl.ax[1] * (male ? 0.6 : 1.1), bl.c[2] + (male ? bl.ax[2] * 0.9 : -bl.ax[2] * 0.4)], male ? [22, 18, 20] : [30, 25, 40], [rot(), rot(), rot()], 2, 0.06);
  const soft = an.tissue(male ? 'muscle' : 'myo', 0.5);
  c.paintBlob(org, (_q, _X, _Y, _Z, i) => soft + an.texAmp * an.f.tex[i], 0);
}

/** Femurs (3 right, 4 left): trabecular head, neck, greater trochanter, shaft with a cortex that thickens distally, fatty/red marrow. */
export function paintFemurs(an: Anatomy): void {
  const { c, r, a, b, Zp, jp, jit, femurHead, f } = an;
  const s = r.u(0.85, 1.15);
  const neckAngle = r.u(-8, 8);
  for (const [side, k] of [[-1, 3], [1, 4]] as const) {
    const head: V3 = [femurHead[0] + jit(2), femurHead[1] + jit(2), femurHead[2] + jit(3)];
    // the leg's pose on the table, each side its own: rotated in or out (the trochanter moves
    // round the head), spread or together (abduction), knee raised on a cushion or flat (flexion)
    const troch: V3 = [a * 0.78 + jp(8, 20), b * 0.12 + jp(8, 20), head[2] + 25 + neckAngle + jit(5)];
    const shaftEnd: V3 = [a * 0.6 + jp(16, 40), b * 0.02 + jp(12, 30), Zp(760)];
    const hr = 22 * s + jit(1.5);
    const shaft: Tube = { side, pts: [head, troch, [troch[0] - 6, troch[1], troch[2] + 25], shaftEnd], rad: [hr, 17 * s, 15 * s, 13 * s] };
    const marrow = r.u(-60, 60); // fatty to red marrow
    c.paintTube(shaft, (q, X, Y, Z, i) => {
      const dh = Math.hypot(side * X - head[0], Y - head[1], Z - head[2]) / hr;
      if (dh < 1) return dh > 0.88 ? 750 : 280 + 120 * f.mottle[i]; // subchondral shell, trabecular head
      const down = Math.max(0, Math.min(1, (Z - troch[2]) / 120));
      const cortex = 0.85 - 0.25 * down; // thin cortex at the metaphysis, thick in the diaphysis
      if (q > cortex) return 900 + 150 * f.tex[i];
      return down < 0.3 ? 180 + 100 * f.mottle[i] : marrow + 30 * f.tex[i];
    }, L(k), 'body');
  }
}
