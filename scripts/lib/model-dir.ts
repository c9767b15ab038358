/** Node CLI helper: load a model folder (the shipped model by default), verified by its manifest. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel, WEIGHTS_FILE, type ModelManifest } from '../../src/lib/model/io';
import type { ResNet3d } from '../../src/lib/model/resnet3d';
import { SHIPPED_MODEL_DIR } from '../../src/lib/model/shipped';

/**
 * Loads `dir` (default: the shipped model) through loadModel, which refuses a folder without
 * manifest.json or whose weights fail model.json's byte count or the manifest's SHA-256. A training
 * run's best/ checkpoint has no manifest: export it first with `npm run evaluate -- --run runs/NAME`.
 */
export async function loadModelDir(dir = SHIPPED_MODEL_DIR): Promise<{ model: ResNet3d; manifest: ModelManifest; dir: string }> {
  if (!existsSync(path.join(dir, 'model.json'))) {
    throw new Error(`${dir}/model.json not found (--model must be a model folder with manifest.json, model.json and ${WEIGHTS_FILE}, as \`npm run evaluate\` writes)`);
  }
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    throw new Error(
      `${dir} has no manifest.json, so nothing vouches for its weights; refusing to run it. A training checkpoint? Export it with: npm run evaluate -- --run ${path.dirname(dir)} --out DIR`,
    );
  }
  const { model, manifest } = await loadModel(async (f) => new Uint8Array(readFileSync(path.join(dir, f))), dir);
  return { model, manifest, dir };
}
