/**
 * Procedural CT phantom dataset, built the way OrganMNIST3D was built: synthetic CT torsos (HU)
 * → per-organ 3D bounding box + a small random margin → trilinear resize to S³ → abdominal window
 * (L40/W400) → uint8; the organ mask, the crop's full label map, the subject id and the stored
 * orientation are kept for every crop. Deterministic from a seed. Pure TypeScript (browser + Node).
 *
 * By anatomy: random.ts (streams), geometry.ts (shapes), canvas.ts (painting, partial volume),
 * anatomy.ts (habitus, tissue values, texture fields), body.ts (trunk, lungs, bowel, vessels),
 * bones.ts, organs.ts (the eleven classes and their neighbours), acquisition.ts (protocol,
 * contrast timing, scanner, stored orientation), subject.ts, crops.ts, dataset.ts.
 * `npm run data:audit` measures how far cheap baselines get on it.
 */
export { hashSeed, makeRng } from './random';
export {
  CONTRAST_PHASES,
  drawAcquisition,
  ORIENTATION_CODES,
  orientationCode,
  PHANTOM_FLIPPED_SHARE,
  PHANTOM_MIRRORED_SHARE,
  PHANTOM_SHAPE,
  PHANTOM_SPACING,
  SCAN_PROTOCOLS,
  tissueHU,
  type Acquisition,
  type ContrastPhase,
  type ScanProtocol,
} from './acquisition';
export { BONE_LABEL, ORGAN_HU_SD } from './anatomy';
export { generatePhantomSubject, ORGAN_SHIFT_SD_MM, type PhantomSubject, type PhantomSubjectMeta, type PhantomSubjectOptions } from './subject';
export { cropOrgans, PHANTOM_CROP_MARGIN_MAX, PHANTOM_MIN_ORGAN_VOXELS, resizeNearest, type OrganCrop } from './crops';
export {
  generatePhantomDataset,
  generatePhantomDatasets,
  PHANTOM_DEFAULT_SEED,
  PHANTOM_DEFAULT_SUBJECTS,
  PHANTOM_TARGET_COUNTS,
  type PhantomDatasetOptions,
} from './dataset';
