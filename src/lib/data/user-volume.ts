/**
 * "Try your own volume": turn a user's .npy / .nii / .nii.gz into the model's input
 * (S³ float32 in [0, 1], C order [z][y][x]). Browser-safe, no DOM; everything runs locally.
 */
import { DataFormatError, describeShape, formatBytes, readNpy, type NdArray } from './npy';
import { looksLikeNifti, niftiDeclare, niftiFromBytes, readNifti, DEFAULT_MAX_BYTES, DEFAULT_MAX_VOXELS, type NiftiVolume } from './nifti';
import { BoundedGunzip, isGzip } from './inflate';
import { normalize, resizeTrilinear, uint8ToUnit, windowHU } from './volume';
import { checkInput, fractionInHuWindow, implausibleIntensities, resampleWarnings, type InputWarning } from './input-check';

export const USER_MAX_FILE_BYTES = DEFAULT_MAX_BYTES; // 256 MB
export const USER_MAX_VOXELS = DEFAULT_MAX_VOXELS; // 512³
/** smallest edge accepted (anything smaller is not a volume worth resampling) */
export const USER_MIN_EDGE = 4;

export type IntensityMode = 'unit8' | 'hu-window' | 'minmax';

export interface PreparedVolume {
  /** S³ float32 in [0, 1] */
  volume: Float32Array;
  size: number;
  /** original shape [d, h, w] */
  sourceShape: [number, number, number];
  sourceDtype: string;
  intensity: IntensityMode;
  /** one sentence for the page: what was done to the data */
  description: string;
  /** blank / constant / out-of-distribution warnings (shown beside the prediction) */
  warnings: InputWarning[];
}

/** Parse a user file by name/content: .npy, .nii, .nii.gz. */
export function readUserFile(bytes: Uint8Array, name: string): NdArray {
  if (bytes.length > USER_MAX_FILE_BYTES) {
    throw new DataFormatError(name, `too large: ${formatBytes(bytes.length)} (limit ${formatBytes(USER_MAX_FILE_BYTES)})`);
  }
  if (bytes.length === 0) throw new DataFormatError(name, 'the file is empty');
  const lower = name.toLowerCase();
  const isNpy = bytes.length >= 6 && bytes[0] === 0x93 && bytes[1] === 0x4e && bytes[2] === 0x55;
  if (isNpy || lower.endsWith('.npy')) return readNpy(bytes, name);
  if (isGzip(bytes) || looksLikeNifti(bytes) || lower.endsWith('.nii') || lower.endsWith('.nii.gz')) {
    return readNifti(bytes, name, { maxBytes: USER_MAX_FILE_BYTES, maxVoxels: USER_MAX_VOXELS });
  }
  throw new DataFormatError(name, 'not a supported volume: open a .npy, .nii or .nii.gz file');
}

/**
 * Streamed variant of readUserFile for uploads: a .nii.gz is inflated chunk by chunk while the
 * file is read (bounded by the size limit and, once its header is in, by the size the header
 * declares), so a lying or oversized stream is refused early; other formats are collected into
 * one buffer of the file's known size. `head` is the file's first bytes (for sniffing), `isize`
 * the gzip trailer's size field (a buffer-size hint only; it is verified at the end).
 */
export async function readUserFileStream(
  name: string,
  byteLength: number,
  head: Uint8Array,
  chunks: AsyncIterable<Uint8Array>,
  isize = 0,
): Promise<NdArray> {
  if (byteLength > USER_MAX_FILE_BYTES) {
    throw new DataFormatError(name, `too large: ${formatBytes(byteLength)} (limit ${formatBytes(USER_MAX_FILE_BYTES)})`);
  }
  if (byteLength === 0) throw new DataFormatError(name, 'the file is empty');
  const limits = { maxBytes: USER_MAX_FILE_BYTES, maxVoxels: USER_MAX_VOXELS };
  if (isGzip(head)) {
    const g = new BoundedGunzip(name, limits.maxBytes, isize, niftiDeclare(name, limits));
    for await (const c of chunks) g.push(c);
    return niftiFromBytes(g.finish(), name, limits);
  }
  const bytes = new Uint8Array(byteLength);
  let off = 0;
  for await (const c of chunks) {
    if (off + c.length > byteLength) throw new DataFormatError(name, 'the file grew while it was being read');
    bytes.set(c, off);
    off += c.length;
  }
  if (off !== byteLength) throw new DataFormatError(name, `truncated: read ${formatBytes(off)} of ${formatBytes(byteLength)}`);
  return readUserFile(bytes, name);
}

/**
 * Squeeze singleton axes, check it is a 3-D volume, pick an intensity mapping and resample
 * to size³ (trilinear). Intensities: uint8 → /255 (the training data's own scale); values
 * that look like Hounsfield units (min ≤ −500, as air is, and max ≥ 0) → abdominal window W400/L40
 * (what the dataset was built with); anything else → min–max to [0, 1].
 */
export function prepareUserVolume(arr: NdArray, name = 'volume', size = 64): PreparedVolume {
  if (arr.dtype === 'int64' || arr.dtype === 'bool') {
    throw new DataFormatError(name, `unsupported dtype ${arr.dtype}; use uint8, int16, uint16, int32, float32 or float64`);
  }
  const shape = arr.shape.filter((d) => d !== 1);
  if (shape.length !== 3) {
    throw new DataFormatError(name, `is ${describeShape(arr.shape, arr.dtype)}: a 3-D volume is needed`);
  }
  const [d, h, w] = shape as [number, number, number];
  if (Math.min(d, h, w) < USER_MIN_EDGE) {
    throw new DataFormatError(name, `is ${d} × ${h} × ${w}: every edge must be at least ${USER_MIN_EDGE} voxels`);
  }
  if (d * h * w > USER_MAX_VOXELS) {
    throw new DataFormatError(name, `too large: ${d} × ${h} × ${w} voxels (limit ${Math.round(Math.cbrt(USER_MAX_VOXELS))}³)`);
  }
  const src = arr.data as ArrayLike<number>;
  let lo = Infinity;
  let hi = -Infinity;
  let finite = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (Number.isFinite(v)) {
      finite++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (finite === 0) throw new DataFormatError(name, 'holds no finite values (all NaN or infinite)');
  // intensities no scanner writes (±1.7e308 float64, ±2.1e9 int32, a NIfTI slope of 1e30) are refused, not min–max scaled
  const huLike = arr.dtype !== 'uint8' && lo <= -500 && hi >= 0;
  const implausible = implausibleIntensities(src, lo, hi, huLike);
  if (implausible) throw new DataFormatError(name, implausible);
  let clean: ArrayLike<number> = src;
  if (finite < src.length) {
    const c = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) c[i] = Number.isFinite(src[i]) ? src[i] : lo;
    clean = c;
  }
  let unit: Float32Array;
  let intensity: IntensityMode;
  let how: string;
  let huInWindow: number | undefined;
  if (arr.dtype === 'uint8') {
    unit = uint8ToUnit(clean as Uint8Array);
    intensity = 'unit8';
    how = 'uint8 values used as is, scaled by 1/255 (OrganMNIST3D-style, like the training data)';
  } else if (huLike) {
    unit = uint8ToUnit(windowHU(clean));
    intensity = 'hu-window';
    huInWindow = fractionInHuWindow(clean);
    how = `values look like Hounsfield units (${Math.round(lo)} … ${Math.round(hi)}): abdominal window W400/L40 applied, like the training data`;
  } else {
    unit = normalize(clean);
    intensity = 'minmax';
    how = `values ${fmt(lo)} … ${fmt(hi)} rescaled min–max to [0, 1]`;
  }
  const volume = d === size && h === size && w === size ? unit : resizeTrilinear(unit, [d, h, w], [size, size, size]);
  if (finite < src.length) how += `; ${src.length - finite} non-finite voxels set to the minimum`;
  return {
    volume,
    size,
    sourceShape: [d, h, w],
    sourceDtype: arr.dtype,
    intensity,
    description: `${d} × ${h} × ${w} ${arr.dtype} ${d === size && h === size && w === size ? `used at its size (${size}³)` : `resampled to ${size}³ (trilinear)`}; ${how}.`,
    // a slab squeezed into the cube, or a few voxels blown up to it, is said beside the prediction with its factors
    warnings: [...resampleWarnings([d, h, w], size, spacingOf(arr, shape)), ...checkInput(volume, { huInWindow })],
  };
}

/** Voxel spacing [z, y, x] in mm of a NIfTI volume whose 3-D shape is its own (not squeezed), else undefined. */
function spacingOf(arr: NdArray, shape: number[]): [number, number, number] | undefined {
  const pd = (arr as Partial<NiftiVolume>).pixdim;
  if (!pd || arr.shape.length !== 3 || shape.length !== 3) return undefined;
  return [pd[2], pd[1], pd[0]];
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3);
}
