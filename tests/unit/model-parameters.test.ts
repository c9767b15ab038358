import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { parameterCount } from '../../src/lib/model/parameters';
import { ResNet3d, resnetConfig } from '../../src/lib/model/resnet3d';

describe('parameterCount', () => {
  it('counts every weight but the batch-norm running statistics', () => {
    expect(parameterCount([{ name: 'c.w', shape: [3, 3, 3, 1, 4] }, { name: 'bn.gamma', shape: [4] }, { name: 'bn.moving_mean', shape: [4] }, { name: 'bn.moving_var', shape: [4] }])).toBe(108 + 4);
  });

  it('agrees with the live model: the sum of its trainable variables', async () => {
    await tf.setBackend('cpu');
    const m = new ResNet3d(resnetConfig(10, 0.25, 16, 11), 1);
    try {
      expect(m.parameterCount()).toBe(m.trainableVariables().reduce((s, v) => s + v.size, 0));
    } finally {
      m.dispose();
    }
  });

  it.skipIf(!existsSync('public/models/resnet10-phantom64/model.json'))("matches the shipped model's manifest", () => {
    const mj = JSON.parse(readFileSync('public/models/resnet10-phantom64/model.json', 'utf8'));
    const man = JSON.parse(readFileSync('public/models/resnet10-phantom64/manifest.json', 'utf8'));
    expect(parameterCount(mj.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights))).toBe(man.architecture.parameters);
  });
});
