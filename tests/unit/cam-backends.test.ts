import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { computeCam, type CamMethod, type CamResult } from '../../src/lib/cam';
import { deletionInsertion, type FaithfulnessResult } from '../../src/lib/metrics';
import type { ResNet3d } from '../../src/lib/model/resnet3d';
import { TINY_SIZE, maxAbsDiff, tinyModel, tinyVolume } from './cam-helpers';

let model: ResNet3d;
const volume = tinyVolume(TINY_SIZE, 3);
const methods: CamMethod[] = ['scorecam', 'faster-scorecam', 'gradcam'];

async function runAll(): Promise<{ cams: CamResult[]; curves: FaithfulnessResult }> {
  const cams: CamResult[] = [];
  for (const method of methods) cams.push(await computeCam(model, volume, { method, stage: 3, topN: 6, batchSize: 4 }));
  const curves = await deletionInsertion(model, volume, cams[0].cam, cams[0].target, { steps: 6 });
  return { cams, curves };
}

beforeAll(async () => {
  await initNodeBackend('cpu');
  model = tinyModel(6);
});
afterAll(() => model.dispose());

describe('cpu and wasm agree', () => {
  it('on Score-CAM, Faster Score-CAM, Grad-CAM and the curves to 1e-4', async () => {
    const cpu = await runAll();
    await initNodeBackend('wasm');
    const wasm = await runAll();
    await initNodeBackend('cpu');
    for (let i = 0; i < methods.length; i++) {
      expect(wasm.cams[i].target).toBe(cpu.cams[i].target);
      expect(maxAbsDiff(wasm.cams[i].probs, cpu.cams[i].probs)).toBeLessThan(1e-4);
      expect(maxAbsDiff(wasm.cams[i].cam, cpu.cams[i].cam)).toBeLessThan(1e-4);
    }
    for (const k of ['deletion', 'insertion'] as const) {
      expect(maxAbsDiff(wasm.curves[k].y, cpu.curves[k].y)).toBeLessThan(1e-4);
      expect(Math.abs(wasm.curves[k].auc - cpu.curves[k].auc)).toBeLessThan(1e-4);
    }
    expect(tf.getBackend()).toBe('cpu');
  });
});
