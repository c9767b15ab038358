/**
 * The landing page's figure (HeroFigure.astro): a shipped test volume as the voxel cloud coloured
 * by the build's precomputed Score-CAM, rendered at build time (lib/viz/cloud-view, the renderer the
 * explorer's live 3D view shares) so the first screen shows the real thing before any script runs;
 * the page's script then makes it live (rotate, pick an organ). Node only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { displayName } from '../data/labels';
import { datasetTitle } from '../data/medmnist';
import { parseShippedVolume, type ShippedIndex } from '../data/shipped';
import { uint8ToUnit } from '../data/volume';
import { decodeCamFile } from '../precompute/format';
import * as load from '../precompute/load.node.ts';
import { explorerCams, explorerResultsDir, loadResults, loadShippedIndex } from '../precompute/load.node.ts';
import { cloudPoints, cloudValues, renderCloudImage } from '../viz/cloud-view';
import { encodePng } from '../viz/png';

export const HERO_WIDTH = 560;
export const HERO_HEIGHT = 460;
/** The map the figure shows (the build's main method). */
export const HERO_METHOD = 'scorecam-s4';

export interface HeroVolume {
  id: string;
  testIndex: number;
  label: number;
  organ: string;
  /** site-relative URLs of the volume and its precomputed CAMs */
  volumeUrl: string;
  camUrl: string;
}

export interface HeroData {
  png: Uint8Array;
  width: number;
  height: number;
  shown: HeroVolume;
  /** one shipped volume with a precomputed CAM per organ, for the live figure's organ picker */
  organs: HeroVolume[];
  /** 'OrganMNIST3D' or the phantom's title */
  dataset: string;
  model: string;
  size: number;
}

let cached: HeroData | null | undefined;
const figures = new Map<string, Uint8Array | null>();

/**
 * Any shipped volume with a precomputed CAM as the static cloud figure (PNG), e.g. the Method
 * page's; null when the build has no such volume.
 */
export function cloudFigurePng(id: string, width = HERO_WIDTH, height = HERO_HEIGHT): Uint8Array | null {
  const key = `${id}:${width}x${height}`;
  if (figures.has(key)) return figures.get(key)!;
  let out: Uint8Array | null = null;
  try {
    const index = loadShippedIndex();
    const camPath = explorerCams().find((c) => c.file === `${id}.npz`)?.path;
    const entry = index?.volumes.find((v) => v.id === id);
    if (index && camPath && entry) {
      const assets = (load as Record<string, unknown>).explorerAssets as undefined | (() => { volumes: { dir: string } });
      const dir = assets?.().volumes.dir ?? join(process.cwd(), 'public', 'volumes');
      const S = index.dataset.size;
      const vol = parseShippedVolume(new Uint8Array(readFileSync(join(dir, entry.file))), entry, S);
      const cam = decodeCamFile(new Uint8Array(readFileSync(camPath)), `${id}.npz`)[HERO_METHOD];
      if (cam) {
        const p = cloudPoints(uint8ToUnit(vol.image), S, 1);
        out = encodePng(width, height, renderCloudImage(p, cloudValues(p, cam), { width, height, background: null }), 4);
      }
    }
  } catch (e) {
    console.warn(`cloud figure ${id}: ${e instanceof Error ? e.message : String(e)}`);
  }
  figures.set(key, out);
  return out;
}

/** The shipped volumes that have a precomputed CAM (ids), for the figure endpoint. */
export function cloudFigureIds(): string[] {
  try {
    const cams = new Set(explorerCams().map((c) => c.file));
    return (loadShippedIndex()?.volumes ?? []).filter((v) => cams.has(`${v.id}.npz`)).map((v) => v.id);
  } catch {
    return [];
  }
}

/** The figure's data, or null when the build has no shipped volumes or precomputed CAMs (the page then shows the schematic). */
export function heroData(): HeroData | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const index: ShippedIndex | null = loadShippedIndex();
    const cams = explorerCams();
    if (!index || !cams.length) return null;
    const camFile = new Map(cams.map((c) => [c.file, c.path]));
    // the results folder's volumes where the build names them (explorerAssets), else the shipped ones
    const assets = (load as Record<string, unknown>).explorerAssets as undefined | (() => { volumes: { dir: string } });
    const volumesDir = assets?.().volumes.dir ?? join(process.cwd(), 'public', 'volumes');
    const results = loadResults(explorerResultsDir());
    const withCam = index.volumes.filter((v) => camFile.has(`${v.id}.npz`));
    const organs: HeroVolume[] = [];
    for (const v of withCam) {
      if (organs.some((o) => o.label === v.label)) continue;
      organs.push({ id: v.id, testIndex: v.index, label: v.label, organ: displayName(v.label), volumeUrl: `volumes/${v.file}`, camUrl: `precompute/cams/${v.id}.npz` });
    }
    organs.sort((a, b) => a.label - b.label);
    // the figure: the liver snapshot's volume when it is shipped (the Results page shows it), else the first
    const snap = results.snapshots?.items.find((s) => s.kind === 'typical' && organs.some((o) => o.testIndex === s.testIndex));
    const shown = organs.find((o) => o.testIndex === snap?.testIndex) ?? organs[0];
    if (!shown) return null;
    const entry = index.volumes.find((v) => v.id === shown.id)!;
    const S = index.dataset.size;
    const file = join(volumesDir, entry.file);
    if (!existsSync(file)) return null;
    const vol = parseShippedVolume(new Uint8Array(readFileSync(file)), entry, S);
    const cam = decodeCamFile(new Uint8Array(readFileSync(camFile.get(`${shown.id}.npz`)!)), `${shown.id}.npz`)[HERO_METHOD];
    if (!cam) return null;
    const ct = uint8ToUnit(vol.image);
    const p = cloudPoints(ct, S, 1);
    const rgba = renderCloudImage(p, cloudValues(p, cam), { width: HERO_WIDTH, height: HERO_HEIGHT, background: null });
    cached = {
      png: encodePng(HERO_WIDTH, HERO_HEIGHT, rgba, 4),
      width: HERO_WIDTH,
      height: HERO_HEIGHT,
      shown,
      organs,
      dataset: datasetTitle(index.dataset.name),
      model: results.snapshots?.provenance?.model?.name ?? '',
      size: S,
    };
  } catch (e) {
    console.warn(`hero figure: ${e instanceof Error ? e.message : String(e)}; the landing page shows the schematic`);
    cached = null;
  }
  return cached;
}
