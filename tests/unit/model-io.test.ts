import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ResNet3d, resnetConfig } from '../../src/lib/model/resnet3d';
import { loadModel, modelFromArtifacts, serializeModel, sha256Hex, toFloat16Bits, WEIGHTS_FILE, type ModelJson, type ModelManifest } from '../../src/lib/model/io';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A model with non-trivial batch-norm statistics too. */
function makeModel(seed = 4): ResNet3d {
  const m = new ResNet3d(resnetConfig(10, 0.25, 8, 3), seed);
  tf.tidy(() => {
    let k = 100;
    for (const v of m.variables.values()) if (!v.trainable) v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', k++));
  });
  return m;
}

const valuesOf = (m: ResNet3d) => new Map([...m.variables].map(([n, v]) => [n, v.dataSync().slice() as Float32Array]));

describe('toFloat16Bits', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65520, 0x7c00], // halfway to 65536: rounds to even = overflow → +inf
    [1e6, 0x7c00],
    [-Infinity, 0xfc00],
    [6e-8, 0x0001], // nearest subnormal: 2^-24 ≈ 5.96e-8
    [2 ** -14, 0x0400], // smallest normal
    [1e-9, 0x0000], // underflow to zero
    [1 + 2 ** -11, 0x3c00], // tie → even
    [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
    [NaN, 0x7e00],
  ])('%s → 0x%s', (v, bits) => {
    expect(toFloat16Bits(v)).toBe(bits);
  });
});

describe('serializeModel / modelFromArtifacts', () => {
  it('round-trips exactly in float32', () => {
    const m = makeModel();
    const { modelJson, weights } = serializeModel(m);
    const ref = valuesOf(m);
    m.dispose();
    const back = modelFromArtifacts(JSON.parse(JSON.stringify(modelJson)), weights);
    const got = valuesOf(back);
    expect([...got.keys()]).toEqual([...ref.keys()]);
    for (const [n, v] of ref) expect(got.get(n)).toEqual(v);
    back.dispose();
  });

  it('round-trips within float16 precision, at half the size', () => {
    const m = makeModel();
    const f32 = serializeModel(m);
    const f16 = serializeModel(m, { float16: true });
    expect(f16.weights.byteLength * 2).toBe(f32.weights.byteLength);
    const ref = valuesOf(m);
    m.dispose();
    const back = modelFromArtifacts(f16.modelJson, f16.weights);
    for (const [n, v] of valuesOf(back)) {
      const r = ref.get(n)!;
      for (let i = 0; i < v.length; i++) expect(Math.abs(v[i] - r[i])).toBeLessThanOrEqual(Math.abs(r[i]) * 2 ** -11 + 6e-8);
    }
    back.dispose();
  });
});

describe('loadModel', () => {
  async function folder(): Promise<Map<string, Uint8Array>> {
    const m = makeModel();
    const { modelJson, weights } = serializeModel(m);
    m.dispose();
    const manifest = { name: 't', weights: { file: WEIGHTS_FILE, bytes: weights.byteLength, sha256: await sha256Hex(weights), dtype: 'float32' } } as unknown as ModelManifest;
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    return new Map([
      ['manifest.json', enc(manifest)],
      ['model.json', enc(modelJson)],
      [WEIGHTS_FILE, weights],
    ]);
  }
  const fetcher = (files: Map<string, Uint8Array>) => async (f: string) => {
    const b = files.get(f);
    if (!b) throw new Error(`ENOENT: no such file '${f}'`);
    return b;
  };
  const editJson = (files: Map<string, Uint8Array>, name: string, edit: (o: any) => void) => {
    const o = JSON.parse(new TextDecoder().decode(files.get(name)));
    edit(o);
    files.set(name, new TextEncoder().encode(JSON.stringify(o)));
  };
  const rehash = async (files: Map<string, Uint8Array>) => {
    const h = await sha256Hex(files.get(WEIGHTS_FILE)!);
    editJson(files, 'manifest.json', (o) => (o.weights.sha256 = h));
  };
  const fcSpec = (o: ModelJson, name: string) => o.weightsManifest[0].weights.find((w) => w.name === name)!;

  it('loads a consistent folder and frees nothing it should keep', async () => {
    const before = tf.memory().numTensors;
    const { model, manifest } = await loadModel(fetcher(await folder()), 'models/t');
    expect(manifest.name).toBe('t');
    expect(model.config.numClasses).toBe(3);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses weights that do not match the manifest hash', async () => {
    const files = await folder();
    const w = files.get(WEIGHTS_FILE)!.slice();
    w[10] ^= 1;
    files.set(WEIGHTS_FILE, w);
    await expect(loadModel(fetcher(files), 'models/t')).rejects.toThrow(/models\/t: weights\.bin does not match manifest\.json .*different exports/);
  });

  it('refuses truncated weights', async () => {
    const files = await folder();
    const w = files.get(WEIGHTS_FILE)!;
    files.set(WEIGHTS_FILE, w.slice(0, w.length - 8));
    await rehash(files);
    await expect(loadModel(fetcher(files), 'models/t')).rejects.toThrow(`models/t/weights.bin: ${w.length - 8} bytes, model.json describes ${w.length}`);
  });

  it('refuses weights that lack a tensor the architecture needs', async () => {
    const files = await folder();
    editJson(files, 'model.json', (o) => (fcSpec(o, 'fc.b').name = 'fc.bias'));
    await expect(loadModel(fetcher(files), 'models/t')).rejects.toThrow("models/t: weights lack 'fc.b' that the architecture needs");
  });

  it('refuses a tensor of the wrong shape', async () => {
    const files = await folder();
    editJson(files, 'model.json', (o) => (fcSpec(o, 'fc.w').shape = [3, 32]));
    await expect(loadModel(fetcher(files), 'models/t')).rejects.toThrow("models/t: 'fc.w' has shape 3×32, the architecture needs 32×3");
  });

  it('refuses bad JSON and names the file', async () => {
    const files = await folder();
    files.set('model.json', new TextEncoder().encode('{"format": '));
    await expect(loadModel(fetcher(files), 'models/t')).rejects.toThrow('models/t/model.json: not valid JSON');
  });

  it('refuses a model.json of another format', async () => {
    const files = await folder();
    editJson(files, 'model.json', (o) => (o.format = 'keras'));
    await expect(loadModel(fetcher(files), 'models/t')).rejects.toThrow(/model\.json: not a scorecam3d\/resnet3d model/);
  });

  it.each(['manifest.json', 'model.json', WEIGHTS_FILE])('refuses a missing %s and says which', async (name) => {
    const files = await folder();
    files.delete(name);
    await expect(loadModel(fetcher(files), 'models/t')).rejects.toThrow(`models/t/${name}: could not be read (ENOENT`);
  });

  it("leaks no tensors when it refuses", async () => {
    const files = await folder();
    editJson(files, 'model.json', (o) => (fcSpec(o, 'fc.w').shape = [3, 32]));
    const before = tf.memory().numTensors;
    await expect(loadModel(fetcher(files), 'models/t')).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
