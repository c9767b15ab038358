/** Node CLI helper: load the shipped model (or the training run's best checkpoint) from a folder. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel, modelFromArtifacts, WEIGHTS_FILE, type ModelJson } from '../../src/lib/model/io';
import type { ResNet3d } from '../../src/lib/model/resnet3d';
import { SHIPPED_MODEL, SHIPPED_MODEL_DIR } from '../../src/lib/model/shipped';

export const FALLBACK_MODEL_DIR = `runs/${SHIPPED_MODEL}/best`;

/**
 * `dir` given: load it (with its manifest's SHA-256 check when it has a manifest.json).
 * Not given: the shipped model, else the training run's best checkpoint with a notice.
 */
export async function loadModelDir(dir?: string, log: (m: string) => void = (m) => console.error(m)): Promise<{ model: ResNet3d; dir: string }> {
  let where = dir;
  if (!where) {
    where = SHIPPED_MODEL_DIR;
    if (!existsSync(path.join(where, 'model.json'))) {
      if (!existsSync(path.join(FALLBACK_MODEL_DIR, 'model.json'))) {
        throw new Error(`no model: neither ${SHIPPED_MODEL_DIR} nor ${FALLBACK_MODEL_DIR} exists (train one with \`npm run train\`, or pass --model DIR)`);
      }
      log(`notice: ${SHIPPED_MODEL_DIR} is missing; using the training run's best checkpoint ${FALLBACK_MODEL_DIR}`);
      where = FALLBACK_MODEL_DIR;
    }
  }
  if (!existsSync(path.join(where, 'model.json'))) throw new Error(`${where}/model.json not found (--model must be a folder with model.json and ${WEIGHTS_FILE})`);
  const read = async (f: string) => new Uint8Array(readFileSync(path.join(where!, f)));
  if (existsSync(path.join(where, 'manifest.json'))) {
    const { model } = await loadModel(read, where);
    return { model, dir: where };
  }
  const modelJson = JSON.parse(readFileSync(path.join(where, 'model.json'), 'utf8')) as ModelJson;
  return { model: modelFromArtifacts(modelJson, await read(WEIGHTS_FILE), where), dir: where };
}
