/**
 * Saving and loading the 3D ResNet in the TensorFlow.js weights format (model.json with a
 * weightsManifest + one binary shard), plus manifest.json with provenance and a SHA-256 of the
 * weights. The same `loadModel` runs in Node and in the browser: it only needs a function that
 * returns a file's bytes.
 */
import * as tf from '@tensorflow/tfjs';
import { ResNet3d, type ResNet3dConfig } from './resnet3d';

export const MODEL_FORMAT = 'scorecam3d/resnet3d';
export const MODEL_FORMAT_VERSION = 1;
export const WEIGHTS_FILE = 'weights.bin';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'float16' };
}

export interface ModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  config: ResNet3dConfig;
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
}

/** Provenance shipped beside the model; the site shows it next to every number. */
export interface ModelManifest {
  name: string;
  createdAt: string;
  architecture: ResNet3dConfig & { parameters: number; label: string };
  dataset: { name: string; size: number; file: string; sha256: string; splits: Record<string, number> };
  training: Record<string, unknown>;
  metrics: Record<string, unknown>;
  weights: { file: string; bytes: number; sha256: string; dtype: 'float16' | 'float32' };
  code: { version: string };
}

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

// ---- float16 ----------------------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half from float, round to nearest even; overflow → ±inf. */
export function toFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

// ---- save ---------------------------------------------------------------------------------------

export interface SerializedModel {
  modelJson: ModelJson;
  weights: Uint8Array;
}

/** All variables (trainable and batch-norm statistics) in the model's stable order. */
export function serializeModel(model: ResNet3d, opts: { float16?: boolean } = {}): SerializedModel {
  const specs: WeightSpec[] = [];
  const parts: Uint8Array[] = [];
  for (const [name, v] of model.variables) {
    const values = v.dataSync() as Float32Array;
    if (opts.float16) {
      const half = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) half[i] = toFloat16Bits(values[i]);
      parts.push(new Uint8Array(half.buffer));
      specs.push({ name, shape: v.shape, dtype: 'float32', quantization: { dtype: 'float16' } });
    } else {
      parts.push(new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)));
      specs.push({ name, shape: v.shape, dtype: 'float32' });
    }
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const weights = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    weights.set(p, off);
    off += p.length;
  }
  return {
    modelJson: {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      config: model.config,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    },
    weights,
  };
}

// ---- load ---------------------------------------------------------------------------------------

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Builds a model from model.json and the weights shard; refuses any mismatch by name. */
export function modelFromArtifacts(modelJson: ModelJson, weights: Uint8Array, where = 'model'): ResNet3d {
  if (modelJson?.format !== MODEL_FORMAT) throw new ModelLoadError(`${where}/model.json: not a ${MODEL_FORMAT} model (format ${JSON.stringify(modelJson?.format)})`);
  if (modelJson.formatVersion > MODEL_FORMAT_VERSION) {
    throw new ModelLoadError(`${where}/model.json: format version ${modelJson.formatVersion} is newer than this code understands (${MODEL_FORMAT_VERSION})`);
  }
  const specs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const expectBytes = specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * (w.quantization ? 2 : 4), 0);
  if (weights.byteLength !== expectBytes) {
    throw new ModelLoadError(`${where}/${WEIGHTS_FILE}: ${weights.byteLength} bytes, model.json describes ${expectBytes}`);
  }
  const model = new ResNet3d(modelJson.config);
  let tensors: tf.NamedTensorMap = {};
  try {
    const buf = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
    tensors = tf.io.decodeWeights(buf, specs);
    const names = new Set(Object.keys(tensors));
    for (const [name, v] of model.variables) {
      const t = tensors[name];
      if (!t) throw new ModelLoadError(`${where}: weights lack '${name}' that the architecture needs`);
      if (t.shape.join('x') !== v.shape.join('x')) {
        throw new ModelLoadError(`${where}: '${name}' has shape ${t.shape.join('×')}, the architecture needs ${v.shape.join('×')}`);
      }
      v.assign(t);
      names.delete(name);
    }
    tf.dispose(Object.values(tensors));
    if (names.size) throw new ModelLoadError(`${where}: weights hold tensors the architecture lacks: ${[...names].slice(0, 5).join(', ')}`);
    return model;
  } catch (e) {
    tf.dispose(Object.values(tensors));
    model.dispose();
    throw e;
  }
}

export type FetchBytes = (file: string) => Promise<Uint8Array>;

export interface LoadedModel {
  model: ResNet3d;
  manifest: ModelManifest;
}

/**
 * Loads manifest.json, model.json and the weights through `fetchBytes` (fs in Node, fetch in the
 * browser), checks the weights' SHA-256 against the manifest, and warms the model up.
 */
export async function loadModel(fetchBytes: FetchBytes, where = 'model', opts: { verify?: boolean } = {}): Promise<LoadedModel> {
  const readJson = async <T>(file: string): Promise<T> => {
    let bytes: Uint8Array;
    try {
      bytes = await fetchBytes(file);
    } catch (e) {
      throw new ModelLoadError(`${where}/${file}: could not be read (${e instanceof Error ? e.message : e})`);
    }
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch {
      throw new ModelLoadError(`${where}/${file}: not valid JSON`);
    }
  };
  const manifest = await readJson<ModelManifest>('manifest.json');
  const modelJson = await readJson<ModelJson>('model.json');
  let weights: Uint8Array;
  try {
    weights = await fetchBytes(WEIGHTS_FILE);
  } catch (e) {
    throw new ModelLoadError(`${where}/${WEIGHTS_FILE}: could not be read (${e instanceof Error ? e.message : e})`);
  }
  if (opts.verify !== false) {
    const hash = await sha256Hex(weights);
    if (hash !== manifest.weights?.sha256) {
      throw new ModelLoadError(
        `${where}: ${WEIGHTS_FILE} does not match manifest.json (sha256 ${hash.slice(0, 12)}…, manifest says ${String(manifest.weights?.sha256).slice(0, 12)}…): the files come from different exports`,
      );
    }
  }
  const model = modelFromArtifacts(modelJson, weights, where);
  tf.tidy(() => model.forward(tf.zeros([1, model.config.inputSize, model.config.inputSize, model.config.inputSize, 1]))).dispose();
  return { model, manifest };
}
