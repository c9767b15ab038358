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
  it.each(['faster-scorecam', 'gradcam'] as CamMethod[])('%s + deletion/insertion: no growth over 100 volumes', async (method) => {
    const run = async () => {
      const r = await computeCam(model, volume, { method, stage: 2, topN: 2, batchSize: 2 });
      await deletionInsertion(model, volume, r.cam, r.target, { steps: 2, batchSize: 6 });
    };
    await run();
    const before = tf.memory();
    for (let i = 0; i < 100; i++) await run();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});
