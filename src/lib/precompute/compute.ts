/**
 * One test volume through every configured CAM method: the CAM, its deletion and insertion curves
 * and (where a mask exists) the pointing game. Shared by the precompute workers and the CI check.
 */
import { computeCam } from '../cam';
import { deletionInsertion, energyPointingGame, maskFraction, pointingGameHit } from '../metrics';
import type { ResNet3d } from '../model/resnet3d';
import type { FusedResNet3d } from '../model/inference';
import { uint8ToUnit } from '../data/volume';
import type { MethodRecord, MethodSpec, PrecomputeSettings, VolumeRecord } from './format';

const round = (v: number, d = 6) => Math.round(v * 10 ** d) / 10 ** d;

export interface VolumeComputation {
  record: Omit<VolumeRecord, 'key' | 'testIndex' | 'volumeSha256'>;
  cams: Record<string, Float32Array>;
}

/**
 * Explains the ground-truth class `label` (so DAUC/IAUC measure the evidence for the right organ,
 * also when the model gets it wrong) with each method, then scores the map.
 */
export async function computeVolume(
  model: ResNet3d | FusedResNet3d,
  image: Uint8Array,
  mask: Uint8Array | undefined,
  label: number,
  settings: Pick<PrecomputeSettings, 'methods' | 'steps' | 'insertionStart' | 'batchSize'>,
  only?: (m: MethodSpec) => boolean,
): Promise<VolumeComputation> {
  const x = uint8ToUnit(image);
  const methods: Record<string, MethodRecord> = {};
  const cams: Record<string, Float32Array> = {};
  let predicted = -1;
  let probs: number[] = [];
  for (const m of settings.methods) {
    if (only && !only(m)) continue;
    const t0 = performance.now();
    const res = await computeCam(model, x, { method: m.method, stage: m.stage, target: label, batchSize: settings.batchSize });
    predicted = res.predicted;
    probs = Array.from(res.probs, (p) => round(p));
    const di = await deletionInsertion(model, x, res.cam, label, {
      steps: settings.steps,
      batchSize: settings.batchSize,
      insertionStart: settings.insertionStart,
      label,
    });
    const curve = (c: { x: number[]; y: number[]; auc: number }) => ({ x: c.x.map((v) => round(v)), y: c.y.map((v) => round(v)), auc: c.auc });
    methods[m.key] = {
      dauc: di.deletion.auc,
      iauc: di.insertion.auc,
      deletion: curve(di.deletion),
      insertion: curve(di.insertion),
      ...(mask ? { pointingHit: pointingGameHit(res.cam, mask), energy: energyPointingGame(res.cam, mask) } : {}),
      dauc01: di.deletionCorrect.auc,
      iauc01: di.insertionCorrect.auc,
      ms: Math.round(performance.now() - t0),
    };
    cams[m.key] = res.cam;
  }
  return { record: { label, predicted, probs, ...(mask ? { maskFraction: maskFraction(mask) } : {}), methods }, cams };
}
