import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { computeCam, type CamMethod } from '../../src/lib/cam';
import { deletionInsertion } from '../../src/lib/metrics';
import { ResNet3d, resnetConfig } from '../../src/lib/model/resnet3d';
import { tinyVolume } from './cam-helpers';

let model: ResNet3d;
const volume = tinyVolume(16);

beforeAll(async () => {
  await initNodeBackend('wasm');
  model = new ResNet3d(resnetConfig(10, 0.25, 16, 3), 5);
});
afterAll(() => model.dispose());

describe('memory', () => {
  it('Score-CAM / Faster Score-CAM / Grad-CAM + deletion/insertion: no growth over 100 volumes', async () => {
    const methods: CamMethod[] = ['faster-scorecam', 'gradcam', 'scorecam'];
    const run = async (i: number) => {
      const r = await computeCam(model, volume, { method: methods[i % 3], stage: 3, topN: 2, batchSize: 4 });
      await deletionInsertion(model, volume, r.cam, r.target, { steps: 2, batchSize: 6 });
    };
    for (let i = 0; i < 3; i++) await run(i);
    const before = tf.memory();
    for (let i = 0; i < 100; i++) await run(i);
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});
