import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { ResNet3d, resnetConfig, stageSizes } from '../../src/lib/model/resnet3d';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

describe('ResNet3d', () => {
  it('stage sizes of the shipped family at 64³ are 16, 8, 4, 4', () => {
    expect(stageSizes(resnetConfig(10, 1, 64))).toEqual([16, 8, 4, 4]);
    expect(stageSizes(resnetConfig(18, 1, 28))).toEqual([7, 4, 2, 2]);
    expect(resnetConfig(10, 1).widths).toEqual([16, 32, 64, 128]);
    expect(resnetConfig(10, 0.25).widths).toEqual([4, 8, 16, 32]);
  });

  it('forward shape; activations(x, i) + fromStage(i, a) equals forward(x) for every stage; dispose frees everything', () => {
    const start = tf.memory().numTensors;
    const cfg = resnetConfig(10, 0.25, 16, 5);
    const model = new ResNet3d(cfg, 3);
    const x = tf.randomUniform([2, 16, 16, 16, 1], 0, 1, 'float32', 1);
    const logits = tf.tidy(() => model.forward(x)); // forward leaves intermediates to the caller's tidy
    expect(logits.shape).toEqual([2, 5]);
    const sizes = [Math.ceil(16 / 2), ...stageSizes(cfg)];
    const widths = [cfg.stemChannels, ...cfg.widths];
    const ref = logits.dataSync();
    for (let i = 0; i <= 4; i++) {
      tf.tidy(() => {
        const a = model.activations(x, i);
        expect(a.shape).toEqual([2, sizes[i], sizes[i], sizes[i], widths[i]]);
        const out = model.fromStage(i, a).dataSync();
        for (let k = 0; k < ref.length; k++) expect(out[k]).toBeCloseTo(ref[k], 5);
      });
    }
    // 4-D input is accepted too; a wrong size is refused with a clear message
    tf.tidy(() => {
      expect(model.forward(tf.squeeze(x, [4])).shape).toEqual([2, 5]);
    });
    expect(() => tf.tidy(() => model.forward(tf.zeros([1, 8, 8, 8, 1])))).toThrow(/expects input N×16×16×16/);
    const p = model.predict(x);
    tf.tidy(() => {
      expect(tf.sum(p, 1).dataSync()[0]).toBeCloseTo(1, 5);
    });
    expect(model.parameterCount()).toBeGreaterThan(0);
    tf.dispose([x, logits, p]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('the same seed gives the same initial weights; another seed differs', () => {
    const cfg = resnetConfig(10, 0.25, 16, 3);
    const a = new ResNet3d(cfg, 5);
    const wa = a.variables.get('stage2.0.conv1.w')!.dataSync().slice();
    a.dispose();
    const b = new ResNet3d(cfg, 5);
    const wb = b.variables.get('stage2.0.conv1.w')!.dataSync().slice();
    b.dispose();
    const c = new ResNet3d(cfg, 6);
    const wc = c.variables.get('stage2.0.conv1.w')!.dataSync().slice();
    c.dispose();
    expect(wb).toEqual(wa);
    expect(wc).not.toEqual(wa);
  });
});
