/**
 * The precompute's files besides the tables: per-organ snapshots and failure cases (PNG), the
 * explorer's CAM files for the shipped volumes, the training curves and the cache manifest.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { displayName, labelName, NUM_CLASSES } from '../data/labels';
import { labelMapAt, maskAt, volumeAt, type Dataset } from '../data/medmnist';
import { writeNpz } from '../data/npz';
import { writeFileAtomic } from '../data/store.node.ts';
import type { BaselineCheck, TrainingStats } from '../metrics/baseline';
import type { ResNet3d } from '../model/resnet3d';
import { encodePng } from '../viz/png';
import { renderSnapshot } from '../viz/snapshot';
import { failureCases, representative, SNAPSHOT_RULE } from './aggregate';
import { computeVolume } from './compute';
import {
  CAM_SUBDIR,
  CAM_FILE_FORMAT,
  camArrays,
  decodeCamFile,
  PRECOMPUTE_VERSION,
  SNAPSHOT_SUBDIR,
  SNAPSHOT_URL_PATH,
  TRAIN_STATS_FILE,
  type CacheManifest,
  type CamIndex,
  type PrecomputeSettings,
  type Provenance,
  type SnapshotItem,
  type SnapshotTable,
  type TrainingTable,
  type VolumeRecord,
} from './format';
import { sha256, sha256File } from './hash.node.ts';
import { SHIPPED_VOLUMES_DIR, shippedVolumes, workCamPath, recordPath, writeJson, type ModelInputs, type PrecomputeOptions } from './files.node.ts';

/** Methods whose CAMs are shipped to the explorer for each shipped volume. */
export const SHIPPED_CAM_METHODS = ['scorecam-s4', 'gradcam-s4'];
export const SNAPSHOT_METHOD = 'scorecam-s4';
/** Output pixels per voxel of the snapshots (64³ → 256 px panels). */
export const SNAPSHOT_SCALE = 4;

export function shippedVolumeHashes(dataset: string, size: number, dir = SHIPPED_VOLUMES_DIR): Record<string, string> {
  const out: Record<string, string> = {};
  const vols = shippedVolumes(dataset, size, dir);
  // the explorer's volumes are inputs only where they come from this dataset
  if (!vols.length) return out;
  out[join(dir, 'index.json')] = sha256File(join(dir, 'index.json'));
  for (const v of vols) {
    const p = join(dir, v.file);
    if (existsSync(p)) out[p] = sha256File(p);
  }
  return out;
}

export interface OutputInputs {
  opts: PrecomputeOptions;
  mi: ModelInputs;
  ds: Dataset;
  records: Map<number, VolumeRecord>;
  selRecords: VolumeRecord[];
  provenance: Provenance;
  settings: PrecomputeSettings;
  baseline: BaselineCheck;
  code: string;
  missing: number;
  workers: number;
  trainStats: () => TrainingStats;
  loadModel: () => Promise<ResNet3d>;
  log: (m: string) => void;
}

/** The results folder's outputs (snapshots, the explorer's CAM files, training curves and statistics) and its manifest. */
export async function writeOutputs(o: OutputInputs): Promise<CacheManifest> {
  const snapNames = await writeSnapshots(o);
  const camFiles = writeExplorerCams(o);
  const historySha = writeTraining(o);
  writeTrainStats(o);
  return writeManifest(o, { snapNames, camFiles, historySha });
}

/** Snapshots: one typical volume per organ, then the failure cases; returns the PNG file names. */
async function writeSnapshots(o: OutputInputs): Promise<Set<string>> {
  const { ds, selRecords, settings } = o;
  const dir = o.opts.resultsDir;
  const snapDir = join(dir, SNAPSHOT_SUBDIR);
  const test = ds.splits.test;
  let model: ResNet3d | null = null;
  /** The snapshot method's CAM of volume i: from the worker's CAM file, else recomputed. */
  const camOf = async (r: VolumeRecord): Promise<Float32Array> => {
    const i = r.testIndex;
    const cached = existsSync(workCamPath(dir, i)) ? decodeCamFile(new Uint8Array(readFileSync(workCamPath(dir, i))))[SNAPSHOT_METHOD] : undefined;
    if (cached) return cached;
    model ??= await o.loadModel();
    const only = [SNAPSHOT_METHOD];
    const c = await computeVolume(
      model,
      { image: volumeAt(test, i), label: r.label, mask: maskAt(test, i), labelmap: labelMapAt(test, i) },
      { settings, baseline: o.baseline.spec, trainStats: o.baseline.spec.kind.startsWith('train') ? o.trainStats() : undefined, extras: false, seed: i, only },
    );
    return c.cams[SNAPSHOT_METHOD];
  };

  mkdirSync(snapDir, { recursive: true });
  const snapshot = async (r: VolumeRecord, kind: SnapshotItem['kind'], why: string): Promise<SnapshotItem> => {
    const i = r.testIndex;
    const { image, layout } = renderSnapshot(volumeAt(test, i), await camOf(r), maskAt(test, i) ?? null, ds.size, { scale: SNAPSHOT_SCALE });
    const rgb = new Uint8Array(image.width * image.height * 3);
    for (let p = 0, q = 0; p < rgb.length; p += 3, q += 4) (rgb[p] = image.rgba[q]), (rgb[p + 1] = image.rgba[q + 1]), (rgb[p + 2] = image.rgba[q + 2]);
    const png = encodePng(image.width, image.height, rgb, 3, 9);
    const name = kind === 'typical' ? labelName(r.label) : `failure-${kind}`;
    writeFileAtomic(join(snapDir, `${name}.png`), [png]);
    const m = r.methods[SNAPSHOT_METHOD];
    const x = m.deletion!.map((_, k) => k / (m.deletion!.length - 1));
    return {
      label: r.label,
      organ: name,
      name: displayName(r.label),
      testIndex: i,
      predicted: r.predicted,
      predictedName: displayName(r.predicted),
      probability: r.probs[r.label],
      method: SNAPSHOT_METHOD,
      deletion: { x, y: m.deletion!, auc: m.dauc },
      insertion: { x, y: m.insertion!, auc: m.iauc },
      pointingHit: m.pointing === undefined ? undefined : m.pointing === 1,
      energy: m.energy,
      kind,
      image: { src: `/${SNAPSHOT_URL_PATH}${name}.png`, width: image.width, height: image.height, sha256: sha256(png) },
      at: layout.at,
      ...(r.orientation !== undefined ? { orientation: r.orientation } : {}),
      why,
    };
  };
  const items: SnapshotItem[] = [];
  for (let c = 0; c < NUM_CLASSES; c++) {
    const rep = representative(
      selRecords.filter((r) => r.label === c),
      SNAPSHOT_METHOD,
    );
    if (rep) items.push(await snapshot(rep.record, 'typical', rep.why));
  }
  const failures: SnapshotItem[] = [];
  for (const f of failureCases(selRecords, SNAPSHOT_METHOD)) failures.push(await snapshot(f.record, f.kind, f.why));
  const snapNames = new Set([...items, ...failures].map((it) => `${it.organ}.png`));
  for (const f of readdirSync(snapDir)) if (!snapNames.has(f)) rmSync(join(snapDir, f));
  (model as ResNet3d | null)?.dispose();
  writeJson(join(dir, 'snapshots.json'), { provenance: o.provenance, rule: SNAPSHOT_RULE, items, failures } satisfies SnapshotTable);
  return snapNames;
}

/** CAM files for the explorer's shipped volumes (and their index); returns the files of the CAM folder. */
function writeExplorerCams(o: OutputInputs): Set<string> {
  const { ds, records } = o;
  const dir = o.opts.resultsDir;
  const camDir = join(dir, CAM_SUBDIR);
  mkdirSync(camDir, { recursive: true });
  const camIndex: CamIndex = { format: CAM_FILE_FORMAT, model: { name: o.mi.name, weightsSha256: o.mi.weightsSha256 }, codeHash: o.code, size: ds.size, items: [] };
  const keep = new Set<string>(['index.json']);
  for (const v of shippedVolumes(ds.name, ds.size, o.opts.volumesDir)) {
    const r = records.get(v.index);
    if (!r || !existsSync(workCamPath(dir, v.index))) continue;
    const all = decodeCamFile(new Uint8Array(readFileSync(workCamPath(dir, v.index))));
    const cams = Object.fromEntries(SHIPPED_CAM_METHODS.filter((k) => all[k]).map((k) => [k, all[k]]));
    const file = `test-${String(v.index).padStart(4, '0')}.npz`;
    writeFileAtomic(join(camDir, file), [writeNpz(camArrays(cams, ds.size), { compress: true, level: 9 })]);
    keep.add(file);
    camIndex.items.push({ testIndex: v.index, label: r.label, file, methods: Object.keys(cams), volumeSha256: r.volumeSha256 });
  }
  for (const f of readdirSync(camDir)) if (!keep.has(f)) rmSync(join(camDir, f));
  writeJson(join(camDir, 'index.json'), camIndex);
  return keep;
}

/** Training curves from the run's history.json; returns its sha256 (null when there is none). */
function writeTraining(o: OutputInputs): string | null {
  const dir = o.opts.resultsDir;
  const historyPath = o.opts.historyPath ?? join(o.opts.modelDir, 'history.json');
  let historySha: string | null = null;
  if (existsSync(historyPath)) {
    const h = JSON.parse(readFileSync(historyPath, 'utf8'));
    historySha = sha256File(historyPath);
    const training: TrainingTable = {
      source: { file: historyPath, sha256: historySha },
      model: h.name ?? o.mi.name,
      config: h.config ?? {},
      bestEpoch: h.bestEpoch ?? null,
      epochs: (h.epochs ?? []).map((e: TrainingTable['epochs'][number]) => ({
        epoch: e.epoch,
        lr: e.lr,
        trainLoss: e.trainLoss,
        trainAccuracy: e.trainAccuracy,
        valLoss: e.valLoss,
        valAccuracy: e.valAccuracy,
        seconds: e.seconds,
      })),
    };
    writeJson(join(dir, 'training.json'), training);
  } else o.log(`training curves: ${historyPath} not found (pass --history <file>)`);
  return historySha;
}

/**
 * The training statistics a baseline state may need, so a check can recompute records without
 * data/; written whichever state was chosen: the explorers compare the states (mean value among them).
 */
function writeTrainStats(o: OutputInputs): void {
  const { ds } = o;
  const st = o.trainStats();
  writeFileAtomic(join(o.opts.resultsDir, TRAIN_STATS_FILE), [
    writeNpz(
      { mean_volume: { dtype: 'float32', shape: [ds.size, ds.size, ds.size], data: st.meanVolume }, mean_value: { dtype: 'float32', shape: [1], data: Float32Array.of(st.meanValue) } },
      { compress: true, level: 9 },
    ),
  ]);
}

/** The manifest: the inputs the build can check, and every output's hash (paths relative to the results folder). */
function writeManifest(o: OutputInputs, w: { snapNames: Set<string>; camFiles: Set<string>; historySha: string | null }): CacheManifest {
  const { ds, records, selRecords, settings } = o;
  const dir = o.opts.resultsDir;
  const { snapNames, historySha } = w;
  const outputs: Record<string, string> = {};
  const add = (p: string) => existsSync(join(dir, p)) && (outputs[p] = sha256File(join(dir, p)));
  for (const f of ['classification.json', 'baselines.json', 'faithfulness.json', 'snapshots.json', 'training.json', TRAIN_STATS_FILE]) add(f);
  for (const i of [...records.keys()].sort((a, b) => a - b)) add(relative(dir, recordPath(dir, i)));
  for (const f of [...w.camFiles].sort()) add(`${CAM_SUBDIR}/${f}`);
  for (const f of [...snapNames].sort()) add(`${SNAPSHOT_SUBDIR}/${f}`);
  const per = (rs: VolumeRecord[]) => {
    const v = rs.map((r) => r.ms.cpu).filter((x): x is number => typeof x === 'number');
    return v.length ? Math.round(v.reduce((a, b) => a + b, 0) / v.length) : null;
  };
  const manifest: CacheManifest = {
    version: PRECOMPUTE_VERSION,
    inputs: {
      modelDir: o.mi.dir,
      weightsSha256: o.mi.weightsSha256,
      codeHash: o.code,
      historySha256: historySha,
      shippedVolumes: shippedVolumeHashes(ds.name, ds.size, o.opts.volumesDir),
      volumesDir: o.opts.volumesDir ?? SHIPPED_VOLUMES_DIR,
      testSplitSha256: o.provenance.dataset.splitSha256,
      dataset: ds.name,
      size: ds.size,
    },
    settings,
    baseline: o.baseline.key,
    cost: { cpuMsPerVolume: per(selRecords.filter((r) => !r.extras)), cpuMsPerExtrasVolume: per(selRecords.filter((r) => r.extras)), workers: o.workers },
    outputs,
    missing: o.missing,
    computedAt: new Date().toISOString(),
  };
  writeJson(join(dir, 'manifest.json'), manifest);
  return manifest;
}
