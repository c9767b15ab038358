/**
 * The body around the organs: skin, fat, muscle wall, the thoracic cavity with lungs (vessels,
 * airways, effusions), the mediastinum, the abdominal background of bowel loops and mesentery,
 * the colon, great vessels, spine, ribs, pelvis, arms and muscles. Lungs are organs (labels 8
 * and 9); everything else here is context (label 0) or bone (BONE_LABEL).
 */
import { BONE_LABEL, L, vesselAt, type Anatomy } from './anatomy';
import { REGION_CAVITY, REGION_FAT, REGION_WALL } from './canvas';
import type { Tube, V3 } from './geometry';

/** Lung geometry: hemithoraces down to domed diaphragms; effusions drawn per side. */
export interface Thorax {
  diaphragm: (X: number, Y: number) => number;
  lungTop: number;
  medHalf: number;
  effusion: [boolean, boolean];
  effLevel: [number, number];
  hilum: [V3, V3];
  /** HU of the pulmonary vessels (blood at this contrast timing, partial volume with air) */
  vesselHU: number;
}

export function drawThorax(an: Anatomy): Thorax {
  const { r, Zp, a, b, jp } = an;
  // how deep the breath was held: both domes move together (2–4 cm between scans), each also on its own
  const breath = jp(14, 35);
  const domeR = Zp(250) + breath + jp(8, 20); // right dome higher: the liver below
  const domeL = Zp(262) + breath + jp(8, 20);
  const domeDepth = r.u(30, 60);
  const medHalf = r.u(14, 24);
  const effusion: [boolean, boolean] = [r.chance(0.15), r.chance(0.15)];
  const effLevel: [number, number] = [r.u(0.15, 0.6), r.u(0.15, 0.6)];
  if (effusion[0]) an.findings.push('effusion-right');
  if (effusion[1]) an.findings.push('effusion-left');
  const diaphragm = (X: number, Y: number): number => {
    const dome = X < 0 ? domeR : domeL;
    const lat = Math.min(1, Math.abs(X) / (a * 0.85));
    const post = Math.max(0, Y / b);
    return dome + domeDepth * (lat * lat) + 40 * post * post;
  };
  const hz = Zp(175) + jp(6, 15);
  const vesselHU = an.acq.contrastSeconds > 0 ? 0.5 * (an.tissue('artery', 0.5) + 40) : 40;
  return { diaphragm, lungTop: Zp(30), medHalf, effusion, effLevel, hilum: [[-(medHalf + 28), -b * 0.05, hz], [medHalf + 26, -b * 0.02, hz + 8]], vesselHU };
}

/** Lung parenchyma with vessels (denser and thicker towards the hilum) and airways. */
function lungHU(an: Anatomy, th: Thorax, side: number, X: number, Y: number, Z: number, i: number): number {
  const h = th.hilum[side];
  const d = Math.hypot(X - h[0], Y - h[1], Z - h[2]);
  const near = Math.exp(-d / 55);
  const f = an.f;
  if (d < 75 && Math.abs(f.airA[i]) < 0.13 * near + 0.03 && Math.abs(f.airB[i]) < 0.13 * near + 0.03) {
    const inner = Math.abs(f.airA[i]) < 0.09 * near && Math.abs(f.airB[i]) < 0.09 * near;
    return inner ? -960 : -120; // bronchial lumen and wall
  }
  if (vesselAt(an, i, 0.09 + 0.3 * near)) return th.vesselHU - 200 * (1 - near); // thin peripheral vessels: partial volume with air
  return -870 + 35 * f.bowel[i] + 25 * f.tex[i];
}

/** Abdominal background (free cavity): small-bowel loops with wall, fluid, oral contrast or gas; mesenteric fat and vessels. */
function abdomenHU(an: Anatomy, bowelThr: number, gasThr: number, fluid: number, wallHU: number, i: number): number {
  const f = an.f;
  const v = f.bowel[i];
  if (an.ascites !== 0 && v < bowelThr + 0.1 && f.tex[i] * 0.15 + f.gas[i] < an.ascites) return 10 + 6 * f.tex[i]; // free fluid between the loops
  if (v > bowelThr) {
    if (v < bowelThr + 0.07) return wallHU + 0.5 * an.texAmp * f.tex[i];
    if (f.gas[i] > gasThr) return -950;
    return fluid + 15 * f.mottle[i];
  }
  if (vesselAt(an, i, 0.1)) return wallHU;
  return -95 + 30 * (v + 0.05) + 8 * f.tex[i];
}

/** Skin, fat, muscle wall, cavity; lungs (labelled), mediastinal fat and the abdominal background. */
export function paintTrunk(an: Anatomy, th: Thorax): void {
  const { c, r, a, b, fat, wall, zs, z0, zThigh, muscleHU, acq } = an;
  const { hu, lab, region, Xs, Ys, Zs, cR, sR, D, H, W } = c;
  const bowelThr = r.u(-0.5, 0.25); // visceral fat: thin patients are packed with bowel, obese ones with fat
  const gasThr = r.u(0.15, 0.7);
  const fluid = acq.oralContrast ? r.u(120, 300) : r.u(5, 35);
  const wallHU = an.tissue('bowelWall', 0.5);
  const thighC = a * 0.47, thighA = a * 0.5, thighB = b * 0.78;
  for (let z = 0; z < D; z++) {
    const Z = Zs[z];
    const aw = an.halfW(Z);
    const abdomen = (Z - z0) / zs > 255;
    for (let y = 0; y < H; y++) {
      const Y0 = Ys[y] - c.yBody;
      for (let x = 0; x < W; x++) {
        const X = cR * Xs[x] - sR * Y0, Y = sR * Xs[x] + cR * Y0;
        const i = (z * H + y) * W + x;
        let dOut: number;
        if (Z > zThigh) {
          const cx = X < 0 ? -thighC : thighC;
          const ex = (X - cx) / thighA, ey = (Y - b * 0.05) / thighB;
          dOut = (1 - Math.sqrt(ex * ex + ey * ey)) * Math.min(thighA, thighB);
        } else {
          const ex = X / aw, ey = Y > 0 ? (Y / b) * (1 + 0.12 * (Y / b) * (Y / b)) : Y / b;
          dOut = (1 - Math.sqrt(ex * ex + ey * ey)) * Math.min(aw, b) * 1.15;
        }
        if (dOut < 0) continue;
        const tex = an.texAmp * an.f.tex[i];
        if (dOut < fat) {
          region[i] = REGION_FAT;
          hu[i] = -105 + 10 * an.f.vesA[i];
        } else if (dOut < fat + wall || Z > zThigh) {
          region[i] = REGION_WALL;
          hu[i] = muscleHU + tex;
        } else {
          region[i] = REGION_CAVITY;
          if (Z >= th.lungTop && Z < th.diaphragm(X, Y) && Math.abs(X) > th.medHalf + 14 * Math.max(0, -Y / b)) {
            const side = X < 0 ? 0 : 1;
            if (th.effusion[side] && Y > b * (1 - 2 * th.effLevel[side]) && Z > th.diaphragm(X, Y) - 70) {
              hu[i] = 12 + tex; // dependent pleural fluid
            } else {
              hu[i] = lungHU(an, th, side, X, Y, Z, i);
              lab[i] = L(side === 0 ? 7 : 8);
            }
          } else if (!abdomen) hu[i] = -70 + 40 * an.f.bowel[i] + (vesselAt(an, i, 0.12) ? 90 : 0);
          else hu[i] = abdomenHU(an, bowelThr, gasThr, fluid, wallHU, i);
        }
      }
    }
  }
}

/** Colon (ascending, transverse, descending, sigmoid, rectum) with mottled stool and gas: context beside kidneys, liver, spleen, pancreas and bladder. */
export function paintColon(an: Anatomy): void {
  const { c, r, a, b, Zp, jp, f } = an;
  const wallHU = an.tissue('bowelWall', 0.5);
  const gasShare = r.u(-0.2, 0.5);
  const rad = r.u(14, 24);
  const pts: V3[] = [
    [-a * 0.6 + jp(), b * 0.05 + jp(), Zp(470) + jp()], // caecum
    [-a * 0.62 + jp(), b * 0.1 + jp(), Zp(400) + jp()], // ascending, lateral to the right kidney
    [-a * 0.5 + jp(), -b * 0.15 + jp(), Zp(335) + jp()], // hepatic flexure
    [jp(), -b * 0.55 + jp(), Zp(355) + jp(20, 60)], // transverse, anterior (sags)
    [a * 0.55 + jp(), -b * 0.05 + jp(), Zp(300) + jp()], // splenic flexure
    [a * 0.65 + jp(), b * 0.15 + jp(), Zp(400) + jp()], // descending
    [a * 0.5 + jp(), -b * 0.1 + jp(), Zp(500) + jp()], // sigmoid
    [a * 0.1 + jp(), b * 0.15 + jp(), Zp(520) + jp()],
    [jp(4, 8), b * 0.45 + jp(4, 10), Zp(560) + jp()], // rectum, behind the bladder
  ];
  const tube: Tube = { side: 1, pts, rad: pts.map(() => rad * r.u(0.7, 1.25)) };
  c.paintTube(tube, (q, _X, _Y, _Z, i) => {
    if (q > 0.8) return wallHU;
    if (f.mottle[i] > 0.55 - gasShare) return -920; // gas bubbles and pockets
    return 25 + 35 * f.tex[i] + 20 * f.bowel[i]; // stool
  }, 0);
}

/** Aorta, IVC, portal and splenic veins, renal veins (context, unlabelled). */
export function paintVessels(an: Anatomy): void {
  const { c, a, b, ySp, Zp, jp } = an;
  const art = an.tissue('artery', 0.5), vein = an.tissue('vein', 0.5), portal = an.tissue('portal', 0.5);
  const ao: Tube = { side: 1, pts: [[a * 0.02, -b * 0.15, Zp(150)], [a * 0.08, ySp - 32, Zp(240)], [a * 0.06 + jp(3, 6), ySp - 30, Zp(440)], [jp(3, 6), ySp - 25, Zp(470)]], rad: [14, 12, 11, 9] };
  c.paintTube(ao, () => art, 0);
  const ivc: Tube = { side: 1, pts: [[-a * 0.12, ySp - 30, Zp(260)], [-a * 0.12 + jp(3, 6), ySp - 30, Zp(460)]], rad: [11, 12] };
  c.paintTube(ivc, () => vein, 0);
  // portal vein (into the liver hilum) and splenic vein (behind the pancreas to the splenic hilum)
  const pv: Tube = { side: 1, pts: [[-a * 0.25 + jp(4, 8), -b * 0.05, Zp(320) + jp(5, 10)], [-a * 0.05, -b * 0.02 + jp(3, 6), Zp(350)], [a * 0.25, b * 0.05 + jp(3, 6), Zp(345) + jp(4, 8)], [a * 0.48, b * 0.28, Zp(320) + jp(4, 8)]], rad: [8, 6, 5, 5] };
  c.paintTube(pv, () => portal, 0);
  // SMA / SMV down the mesentery, renal veins to the IVC
  const smv: Tube = { side: 1, pts: [[-a * 0.04, -b * 0.02, Zp(352)], [-a * 0.06 + jp(4, 8), -b * 0.2, Zp(440)]], rad: [5, 4] };
  c.paintTube(smv, () => portal, 0);
  for (const side of [-1, 1]) {
    const rv: Tube = { side, pts: [[side < 0 ? a * 0.12 : -a * 0.12, ySp - 28, Zp(372)], [a * 0.33, ySp - 18, Zp(372) + jp(4, 8)]], rad: [5, 5] };
    c.paintTube(rv, () => vein, 0);
  }
}
